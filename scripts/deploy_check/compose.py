"""deploy/docker-compose.yml: valid against the Compose Specification's JSON schema (the copy
check-jsonschema ships, validated with jsonschema), started in a sensible order, every file it
mounts present, and every butterboard container's environment known to the binary and enough
for its target."""

import json
from importlib import resources

import jsonschema

from common import DEPLOY, CheckFailed, load_yaml
from envcheck import Binary, check_workload

COMPOSE_FILE = DEPLOY / "docker-compose.yml"
IMAGE = "butterboard:dev"


def compose_schema() -> dict:
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    return json.loads(text)


def load() -> dict:
    return load_yaml(COMPOSE_FILE)


def check_schema(compose: dict) -> str:
    validator = jsonschema.Draft202012Validator(compose_schema())
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]]
        raise CheckFailed("docker-compose.yml does not follow the Compose Specification:\n" + "\n".join(lines))
    return f"{len(compose['services'])} services"


def check_order_and_mounts(compose: dict) -> str:
    services = compose["services"]
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            if dependency not in services:
                raise CheckFailed(f"{name} depends on {dependency}, which is not a service")
            if spec.get("condition") == "service_healthy" and "healthcheck" not in services[dependency]:
                raise CheckFailed(f"{name} waits for {dependency} to be healthy, but it has no healthcheck")
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith(".") and not (COMPOSE_FILE.parent / source).exists():
                raise CheckFailed(f"{name} mounts {source}, which does not exist")
        network = service.get("network_mode", "")
        if network.startswith("service:") and network.split(":", 1)[1] not in (service.get("depends_on") or {}):
            raise CheckFailed(f"{name} shares the network of a service it does not depend on")
    return "depends_on, healthchecks, mounts"


def check_environment(compose: dict, binary: Binary) -> str:
    checked = 0
    for name, service in compose["services"].items():
        if service.get("image") != IMAGE:
            continue
        env = {key: str(value) for key, value in (service.get("environment") or {}).items()}
        mounts = [v.split(":")[1] for v in service.get("volumes", [])] + list(service.get("tmpfs", []))
        check_workload(binary, f"compose service {name}", service.get("command", []), env, mounts)
        checked += 1
    if checked == 0:
        raise CheckFailed(f"no compose service runs {IMAGE}")
    return f"{checked} butterboard containers"
