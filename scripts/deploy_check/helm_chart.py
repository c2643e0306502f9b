"""The Helm chart through the Helm SDK (helm-python-sdk bundles Helm's Go library, so it lints and
renders offline): lint, render, the values schema, the README's table of values, and the metric
names of the alerts and the dashboard."""

import json
import re
from pathlib import Path

import helm_python as helm

from common import CHART, CheckFailed, documents, load_yaml

RELEASE = "butterboard"
NAMESPACE = "meetings"
# What the chart is rendered for: the default values and a production-like installation.
VALUES_FILES = {"default": None, "production": CHART / "ci" / "production-values.yaml"}
# Values files the schema must refuse.
INVALID_VALUES = sorted((CHART / "ci" / "invalid").glob("*.yaml"))


def values_of(path: Path | None) -> dict | None:
    return None if path is None else load_yaml(path) or {}


def render(values: dict | None) -> dict[str, str]:
    """Template path -> its rendered text (NOTES.txt left out)."""
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return {path: text for path, text in rendered.items() if path.endswith((".yaml", ".yml"))}


def parse(rendered: dict[str, str]) -> dict[str, list[dict]]:
    """Template path -> its rendered documents."""
    return {path: documents(text) for path, text in rendered.items()}


def lint(values: dict | None, kube_version: str) -> None:
    report = helm.lint(str(CHART), values, strict=True, kube_version=kube_version)
    problems = [m for m in report["messages"] if m["severity"] >= 2] + [{"error": e} for e in report["errors"]]
    if problems:
        raise CheckFailed("helm lint:\n" + "\n".join(f"  {m.get('path', '')}: {m['error'].strip()}" for m in problems))


def refuses(values: dict) -> str | None:
    """Why the chart refuses `values` (schema validation, rendering), or None if it takes them."""
    with helm.Chart.load(str(CHART)) as chart:
        try:
            chart.validate_schema(values)
            chart.render(values, name=RELEASE, namespace=NAMESPACE)
        except helm.HelmError as error:
            return str(error).strip()
    return None


def open_objects(schema, path: str = "") -> list[str]:
    """Where values.schema.json defines an object's properties without refusing others."""
    found = []
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("additionalProperties") is not False:
            found.append(path or "/")
        for key, value in schema.items():
            found.extend(open_objects(value, f"{path}/{key}"))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found.extend(open_objects(value, f"{path}/{i}"))
    return found


def check_invalid_values_are_refused() -> str:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    if open_objects(schema):
        raise CheckFailed(f"values.schema.json: objects that accept unknown keys: {open_objects(schema)}")
    if not INVALID_VALUES:
        raise CheckFailed("no values files under helm/butterboard/ci/invalid to test the schema with")
    for path in INVALID_VALUES:
        reason = refuses(values_of(path))
        if reason is None:
            raise CheckFailed(f"the chart accepted {path.name}, which its schema must refuse")
    return ", ".join(p.name for p in INVALID_VALUES)


# Maps documented as one value: Kubernetes objects and label maps.
WHOLE = {"resources", "namespaceSelector", "podSelector", "labels", "annotations"}


def leaf_paths(values: dict, prefix: str = "") -> list[str]:
    """Dotted paths of the values a user sets, the five services' alike as `services.<name>`."""
    paths = []
    for key, value in values.items():
        path = "services.<name>" if prefix == "services." else f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in WHOLE:
            paths.extend(leaf_paths(value, path + "."))
        elif path not in paths:
            paths.append(path)
    return list(dict.fromkeys(paths))


def check_readme_documents_every_value() -> str:
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Values\n", 1)[-1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))
    paths = leaf_paths(load_yaml(CHART / "values.yaml"))
    missing = [p for p in paths if p not in documented]
    unknown = sorted(documented - set(paths))
    if missing or unknown:
        raise CheckFailed(
            f"helm/butterboard/README.md: undocumented values {missing}; documented values that do not exist {unknown}"
        )
    return f"{len(paths)} values"


METRIC = re.compile(r"\b((?:butterboard|process)_[a-z0-9_]+)")
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def metric_families(expressions: list[str], known: set[str]) -> set[str]:
    names = set()
    for expr in expressions:
        for name in METRIC.findall(expr):
            family = next((name[: -len(s)] for s in HISTOGRAM_SERIES if name.endswith(s) and name[: -len(s)] in known), name)
            names.add(family)
    return names


def check_metric_names(rendered: dict[str, list[dict]]) -> str:
    """The rules and the dashboard use exactly the names of metrics.txt."""
    listed = {
        line.strip()
        for line in (CHART / "metrics.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    expressions = []
    for docs in rendered.values():
        for doc in docs:
            if doc.get("kind") == "PrometheusRule":
                expressions += [r["expr"] for g in doc["spec"]["groups"] for r in g["rules"]]
            if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"].endswith("-dashboard"):
                for text in doc["data"].values():
                    dashboard = json.loads(text)
                    expressions += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
                    expressions += [v.get("query", "") for v in dashboard["templating"]["list"]]
    if not expressions:
        raise CheckFailed("no PrometheusRule or dashboard rendered: enable them in the production values")
    used = metric_families(expressions, listed)
    if used != listed:
        raise CheckFailed(
            f"helm/butterboard/metrics.txt: used but not listed {sorted(used - listed)}; "
            f"listed but not used {sorted(listed - used)}"
        )
    return f"{len(listed)} metric families"
