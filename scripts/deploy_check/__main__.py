"""make deploy-check: every check of the deployment files, offline. Each step prints one line;
the run ends with a count of passed and failed steps and exits non-zero if any failed."""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import compose
import envcheck
import helm_chart
import kube
import lint
import nats
from common import CheckFailed


def rendered_lint(texts: dict[str, str], label: str) -> str:
    """yamllint over the rendered text: catches what a template's whitespace got wrong. The blank
    line a `range` of documents starts with is Helm's idiom, not a mistake: it is dropped."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (name, text) in enumerate(sorted(texts.items())):
            if text.strip():
                path = Path(tmp) / f"{i:02d}-{Path(name).name}"
                path.write_text(text.lstrip("\n"), encoding="utf-8")
                paths.append(path)
        lint.yamllint(paths)
    return f"{len(paths)} {label} templates"


def steps(binary: envcheck.Binary):
    yield "yamllint deploy/ and the chart's values", lint.check_yaml_sources
    yield "hadolint deploy/Dockerfile", lint.check_dockerfile
    spec = compose.load()
    yield "compose file against the Compose Specification", lambda: compose.check_schema(spec)
    yield "compose start-up order and mounts", lambda: compose.check_order_and_mounts(spec)
    yield "compose environment against the binary", lambda: compose.check_environment(spec, binary)
    yield "nats-server configuration and users", nats.check_server_config
    yield "nats stream definitions match the code", nats.check_streams
    yield "the environment check refuses mistakes", lambda: envcheck.check_checker_catches_mistakes(binary)
    yield "the chart refuses invalid values", helm_chart.check_invalid_values_are_refused
    yield "the chart's README documents every value", helm_chart.check_readme_documents_every_value
    for label, path in helm_chart.VALUES_FILES.items():
        values = helm_chart.values_of(path)
        for version in kube.KUBERNETES_VERSIONS:
            yield f"helm lint ({label} values, Kubernetes {version})", lambda v=values, k=version: helm_chart.lint(v, f"v{k}")
        texts, rendered = {}, {}

        def render(values=values, texts=texts, rendered=rendered):
            texts.update(helm_chart.render(values))
            rendered.update(helm_chart.parse(texts))
            return f"{sum(len(d) for d in rendered.values())} objects"

        yield f"helm render ({label} values)", render
        yield f"yamllint rendered manifests ({label})", lambda t=texts, l=label: rendered_lint(t, l)
        yield f"kubernetes-validate --strict ({label})", lambda r=rendered, l=label: kube.validate(r, l)
        yield f"container environments ({label})", lambda r=rendered, l=label: envcheck.check_rendered(binary, r, l)
        if label == "production":
            yield "metric names of alerts and dashboard", lambda r=rendered: helm_chart.check_metric_names(r)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True, help="the butterboard binary to ask")
    args = parser.parse_args()
    binary = envcheck.Binary(args.binary)
    passed = failed = 0
    started = time.monotonic()
    for name, step in steps(binary):
        step_started = time.monotonic()
        try:
            detail = step()
        except CheckFailed as error:
            failed += 1
            print(f"FAIL {name}\n     {str(error).replace(chr(10), chr(10) + '     ')}", flush=True)
            continue
        except Exception as error:  # a tool that broke is a failure of its step, not of the run
            failed += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
            continue
        passed += 1
        took = time.monotonic() - step_started
        print(f"ok   {name}" + (f" ({detail})" if detail else "") + f" [{took:.1f}s]", flush=True)
    print(f"deploy-check took {time.monotonic() - started:.1f}s")
    print(f"deploy-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
