"""deploy/nats: the server configuration parses (nats-server -t) and has a user for every service,
and the stream definitions are the ones the services create at start-up (crates/runtime/src/bus/)."""

import json
import re

from common import DEPLOY, REPO, CheckFailed, clean_env, run, tool

NATS = DEPLOY / "nats"
BUS = REPO / "crates" / "runtime" / "src" / "bus"
SECOND = 10**9


def _seconds(expression: str) -> int:
    value = 1
    for factor in expression.split("*"):
        value *= int(factor.strip())
    return value


def streams_in_code() -> dict[str, dict]:
    """ZOOM, ONBOARDING, DLQ from STREAMS, and the advisory stream, as the code configures them."""
    source = (BUS / "mod.rs").read_text(encoding="utf-8")
    window = _seconds(re.search(r"DUPLICATE_WINDOW: Duration = Duration::from_secs\(([\d\s*]+)\)", source).group(1))
    specs = re.findall(
        r'StreamSpec \{ name: "(\w+)", subjects: "([^"]+)", max_age: Duration::from_secs\(([\d\s*]+)\) \}', source
    )
    if len(specs) != 3:
        raise CheckFailed(f"expected three StreamSpecs in {BUS / 'mod.rs'}, found {len(specs)}: update deploy_check/nats.py")
    streams = {}
    for name, subjects, max_age in specs:
        age = _seconds(max_age)
        streams[name] = {"subjects": [subjects], "max_age": age * SECOND, "duplicate_window": min(window, age) * SECOND}
    advisories = (BUS / "jetstream" / "advisories.rs").read_text(encoding="utf-8")
    age = _seconds(re.search(r"max_age: Duration::from_secs\(([\d\s*]+)\)", advisories).group(1))
    streams["ADVISORIES"] = {
        "subjects": [f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{n}.*" for n in streams if n != "DLQ"],
        "max_age": age * SECOND,
    }
    return streams


def check_streams() -> str:
    expected = streams_in_code()
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((NATS / "streams").glob("*.json"))}
    if set(files) != set(expected):
        raise CheckFailed(f"deploy/nats/streams has {sorted(files)}, the code creates {sorted(expected)}")
    for name, fields in expected.items():
        for field, value in fields.items():
            if files[name].get(field) != value:
                raise CheckFailed(f"deploy/nats/streams/{name}.json: {field} is {files[name].get(field)}, the code sets {value}")
        if files[name]["name"] != name:
            raise CheckFailed(f"deploy/nats/streams/{name}.json names stream {files[name]['name']}")
    return ", ".join(sorted(files))


# Who must have a user: the five services (the chart's nats.existingSecret keys are their
# names) and the CLI.
REQUIRED_USERS = {"scenario", "meeting-orchestrator", "zoom-webhook-ingest", "recording-archiver", "feedback", "operator"}


def check_server_config() -> str:
    text = (NATS / "accounts.conf").read_text(encoding="utf-8")
    users = dict(re.findall(r"user: ([\w-]+), password: \$(\w+)", text))
    missing = sorted(REQUIRED_USERS - set(users))
    if missing:
        raise CheckFailed(f"deploy/nats/accounts.conf has no user for {missing}")
    passwords = {variable: f"check-{variable.lower()}" for variable in users.values()}
    result = run([tool("nats-server"), "-t", "-c", str(NATS / "nats.conf")], env=clean_env(passwords))
    if result.returncode != 0:
        raise CheckFailed(f"nats-server -t: {(result.stdout + result.stderr).strip()}")
    return f"{len(users)} users"
