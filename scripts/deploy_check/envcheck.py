"""Every variable a deploy file sets is one the binary reads, and every container's environment
would let its target start. Both answers come from the binary itself: `butterboard config vars`
lists what it reads, `butterboard config check --target <service>` applies the checks `run`
applies before connecting to anything. Secret values are not in the files, so a secret reference
stands in as a well-formed placeholder of the kind its variable expects."""

from functools import cached_property

from common import CheckFailed, clean_env, run

# Variables whose value is a path the process reads: it must lie in a mounted volume.
FILE_VARIABLES = ("GOOGLE_APPLICATION_CREDENTIALS", "AUTH_JWT_RS256_PUBLIC_KEY_FILE", "AUTH_JWT_RS256_PRIVATE_KEY_FILE")


def placeholder(name: str) -> str:
    """A value that passes format checks, for a variable whose real value is in a Secret."""
    if name == "NATS_URL":
        return "nats://user:placeholder@nats.invalid:4222"
    if name.endswith("_DATABASE_URL"):
        return "postgres://user:placeholder@postgres.invalid/placeholder"
    if name.endswith("_URL"):
        return "https://placeholder.invalid/"
    return "placeholder-" + "x" * 40


class Binary:
    def __init__(self, path: str):
        self.path = path

    @cached_property
    def variables(self) -> set[str]:
        result = run([self.path, "config", "vars"], env=clean_env({}))
        names = set(result.stdout.split())
        if result.returncode != 0 or not names:
            raise CheckFailed(f"butterboard config vars failed: {result.stderr.strip()}")
        return names

    def check(self, target: str, env: dict[str, str]) -> str | None:
        """Why `target` would not start with `env`, or None."""
        result = run([self.path, "config", "check", "--target", target], env=clean_env(env))
        return None if result.returncode == 0 else result.stderr.strip()


def target_of(args: list[str]) -> str | None:
    """The --target of a `run` command line, or None for other commands."""
    if not args or args[0] != "run":
        return None
    for i, arg in enumerate(args):
        if arg == "--target" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return "all"


def check_workload(binary: Binary, label: str, args: list[str], env: dict[str, str], mounts: list[str]) -> None:
    unknown = sorted(set(env) - binary.variables)
    if unknown:
        raise CheckFailed(f"{label} sets variables the binary does not read: {unknown}")
    for name in FILE_VARIABLES:
        if name in env and not any(env[name].startswith(m.rstrip("/") + "/") for m in mounts):
            raise CheckFailed(f"{label}: {name}={env[name]} is in no mounted volume ({mounts})")
    target = target_of(args)
    if target is not None:
        reason = binary.check(target, env)
        if reason:
            raise CheckFailed(f"{label} (--target {target}) would not start: {reason}")


def kubernetes_env(container: dict, configmaps: dict[str, dict]) -> dict[str, str]:
    """A container's environment as the kubelet would build it, secrets as placeholders."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            if name not in configmaps:
                raise CheckFailed(f"envFrom names ConfigMap {name}, which the chart does not render")
            env.update(configmaps[name].get("data", {}))
        else:
            raise CheckFailed(f"envFrom {source}: a whole Secret hides which variables it sets; use secretKeyRef")
    for item in container.get("env", []):
        source = item.get("valueFrom")
        if source is None:
            env[item["name"]] = str(item.get("value", ""))
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[item["name"]] = configmaps[ref["name"]]["data"][ref["key"]]
        else:
            env[item["name"]] = placeholder(item["name"])
    return env


def check_rendered(binary: Binary, rendered: dict[str, list[dict]], label: str) -> str:
    docs = [doc for docs in rendered.values() for doc in docs]
    configmaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    checked = 0
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
            name = f"{label}: {doc['kind']} {doc['metadata']['name']}"
            check_workload(binary, name, container.get("args", []), kubernetes_env(container, configmaps), mounts)
            checked += 1
    return f"{checked} containers"


def check_checker_catches_mistakes(binary: Binary) -> str:
    """The check itself: a misspelt variable and a missing database URL must each fail it."""
    good = {"NATS_URL": "nats://nats:4222", "SCENARIO_DATABASE_URL": placeholder("SCENARIO_DATABASE_URL"),
            "AUTH_JWT_HS256_SECRET": placeholder("AUTH_JWT_HS256_SECRET")}
    args = ["run", "--target", "scenario"]
    check_workload(binary, "a complete scenario", args, good, [])
    mistakes = {
        "a misspelt variable": {**good, "BUTTERBOARD_GPRC_ADDR": "0.0.0.0:50051"},
        "a missing database URL": {k: v for k, v in good.items() if k != "SCENARIO_DATABASE_URL"},
        "a key file outside any mount": {**good, "AUTH_JWT_RS256_PUBLIC_KEY_FILE": "/etc/jwt/public.pem"},
    }
    for what, env in mistakes.items():
        try:
            check_workload(binary, what, args, env, [])
        except CheckFailed:
            continue
        raise CheckFailed(f"the environment check passed {what}")
    return ", ".join(mistakes)
