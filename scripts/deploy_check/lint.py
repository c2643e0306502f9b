"""Linters: yamllint over every YAML file of deploy/ and the chart (its templates are Go
templates, so their rendered output is linted instead), hadolint over the Dockerfile."""

from pathlib import Path

from common import CHART, DEPLOY, REPO, CheckFailed, must_run, run, tool

YAMLLINT_CONFIG = DEPLOY / "yamllint.yaml"


def yaml_sources() -> list[Path]:
    files = sorted(DEPLOY.rglob("*.yml")) + sorted(DEPLOY.rglob("*.yaml"))
    files += [CHART / "Chart.yaml", CHART / "values.yaml"] + sorted((CHART / "ci").rglob("*.yaml"))
    return files


def yamllint(paths: list[Path]) -> None:
    result = run([tool("yamllint"), "--strict", "-c", str(YAMLLINT_CONFIG), *map(str, paths)])
    if result.returncode != 0:
        raise CheckFailed(f"yamllint:\n{result.stdout.strip()}{result.stderr.strip()}")


def check_yaml_sources() -> str:
    files = yaml_sources()
    yamllint(files)
    return f"{len(files)} files"


def check_dockerfile() -> str:
    dockerfile = DEPLOY / "Dockerfile"
    must_run([tool("hadolint"), "--no-color", "--failure-threshold", "info", str(dockerfile)], "hadolint")
    return str(dockerfile.relative_to(REPO))
