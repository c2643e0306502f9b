"""What every step shares: paths, running tools, reading YAML, reporting a failure."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "butterboard"
DEPLOY = REPO / "deploy"
VENV_BIN = Path(sys.executable).parent


class CheckFailed(Exception):
    """A step found something wrong; the message says what and where."""


def tool(name: str) -> str:
    """A tool installed into the same venv as this interpreter."""
    path = VENV_BIN / name
    if not path.exists():
        raise CheckFailed(f"{name} is not installed in {VENV_BIN} (scripts/deploy-check.sh installs it)")
    return str(path)


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Runs `cmd` to completion, capturing its output; never raises on a non-zero exit."""
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def must_run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> str:
    result = run(cmd, env=env)
    if result.returncode != 0:
        raise CheckFailed(f"{what} failed:\n{(result.stdout + result.stderr).strip()}")
    return result.stdout


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def documents(text: str) -> list[dict]:
    """The non-empty YAML documents of a rendered manifest."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """An environment with nothing of ours in it, so only `extra` configures the binary."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, **extra}
