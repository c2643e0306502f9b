"""Rendered manifests against Kubernetes' own schemas (kubernetes-validate --strict, which ships
them for 1.25 to 1.37, offline), for the oldest version the chart supports and a recent one.

kubernetes-validate has no schemas for prometheus-operator's kinds: ServiceMonitor and
PrometheusRule are checked against the small schemas below, which cover the fields the chart
writes and refuse any other, not against the operator's full CRDs."""

import tempfile
from pathlib import Path

import jsonschema
import yaml

from common import CheckFailed, run, tool

KUBERNETES_VERSIONS = ["1.30.0", "1.34.0"]

_META = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_DURATION = {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"}


def _closed(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


MONITORING_SCHEMAS = {
    "ServiceMonitor": _closed(
        {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "ServiceMonitor"},
            "metadata": _META,
            "spec": _closed(
                {
                    "selector": _closed({"matchLabels": _STRING_MAP}, ["matchLabels"]),
                    "namespaceSelector": _closed({"matchNames": {"type": "array", "items": {"type": "string"}}}, []),
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": _closed(
                            {"port": {"type": "string"}, "path": {"type": "string"}, "interval": _DURATION,
                             "scrapeTimeout": _DURATION},
                            ["port"],
                        ),
                    },
                },
                ["selector", "endpoints"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
    "PrometheusRule": _closed(
        {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "PrometheusRule"},
            "metadata": _META,
            "spec": _closed(
                {
                    "groups": {
                        "type": "array",
                        "items": _closed(
                            {
                                "name": {"type": "string"},
                                "rules": {
                                    "type": "array",
                                    "items": _closed(
                                        {"alert": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
                                         "expr": {"type": "string", "minLength": 1}, "for": _DURATION,
                                         "labels": _STRING_MAP, "annotations": _STRING_MAP},
                                        ["alert", "expr"],
                                    ),
                                },
                            },
                            ["name", "rules"],
                        ),
                    }
                },
                ["groups"],
            ),
        },
        ["apiVersion", "kind", "metadata", "spec"],
    ),
}


def validate(rendered: dict[str, list[dict]], label: str) -> str:
    kubernetes, monitoring = [], []
    for docs in rendered.values():
        for doc in docs:
            (monitoring if doc.get("kind") in MONITORING_SCHEMAS else kubernetes).append(doc)
    for doc in monitoring:
        try:
            jsonschema.validate(doc, MONITORING_SCHEMAS[doc["kind"]])
        except jsonschema.ValidationError as error:
            raise CheckFailed(f"{label}: {doc['kind']} {doc['metadata']['name']}: {error.message}") from None
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, doc in enumerate(kubernetes):
            path = Path(tmp) / f"{i:02d}-{doc['kind']}-{doc['metadata']['name']}.yaml"
            path.write_text(yaml.safe_dump(doc), encoding="utf-8")
            paths.append(str(path))
        for version in KUBERNETES_VERSIONS:
            result = run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, *paths])
            if result.returncode != 0 or "WARN" in result.stdout:
                raise CheckFailed(f"{label}: kubernetes-validate {version}:\n{result.stdout.strip()}{result.stderr.strip()}")
    return f"{len(kubernetes)} objects on {', '.join(KUBERNETES_VERSIONS)}; {len(monitoring)} monitoring objects"
