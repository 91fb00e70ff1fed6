"""Cold start of the API function, compared with a bare reference Chalice app.

Each sample is a fresh interpreter running bench/cold_start_child.py: it imports `app` and answers
GET /health through `app(event, context)`. Samples alternate app/reference so that machine noise
(another process, CPU frequency) hits both alike; medians are compared.

`--zip <function zip>` runs the app from that zip unpacked (e.g. the core artefact of
`make package`, dist/dev/cdk.out/asset.*.zip) as Lambda does: no bytecode written or cached
between samples, so a module without its .pyc in the zip is compiled at every cold start (the
reference runs the same way; its libraries' bytecode comes with them, as the Lambda runtime's).
The dev stage's variables then (the zip has no local-only code), tracing and metrics still off."""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
REFERENCE_DIR = BENCH_DIR / "reference_app"
CHILD_SCRIPT = BENCH_DIR / "cold_start_child.py"
# Bytecode caches of the children go here (ignored by git) rather than next to the project's
# sources: the benchmark writes nothing outside bench/.
PYCACHE_DIR = BENCH_DIR / ".results" / "pycache"
RESULT_MARKER = "BENCH_RESULT "
HEAVY_MODULES = ("fpdf", "fontTools")

TIME_RATIO_TARGET = 1.25
MEMORY_RATIO_TARGET = 1.30


def python_executable() -> str:
    venv_python = PROJECT_DIR / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def child_environment(read_only_code: bool = False) -> dict[str, str]:
    """What the API function sees on Lambda (local stage), nothing inherited from this shell:
    a stray PYTHONPATH or real AWS profile must not change the figures. `read_only_code`: as on
    Lambda's read-only task root, no bytecode cache but what the code ships with."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **({"PYTHONDONTWRITEBYTECODE": "1"} if read_only_code else {"PYTHONPYCACHEPREFIX": str(PYCACHE_DIR)}),
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "WEB_ORIGIN": "http://127.0.0.1:8001",
    }
    # The function's environment variables from .chalice/config.json (global, then local stage).
    config_path = PROJECT_DIR / ".chalice" / "config.json"
    if config_path.exists():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        env.update(config.get("environment_variables", {}))
        env.update(config.get("stages", {}).get("local", {}).get("environment_variables", {}))
    # Required by the brief whatever config.json says.
    env.update({"PERMIS_STAGE": "dev" if read_only_code else "local", "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true"})
    return env


@dataclass
class Sample:
    total_ms: float  # spawn → first response returned (what a caller waits for on a cold start)
    startup_ms: float  # spawn → interpreter ready to run our driver
    import_ms: float  # `from app import app`
    first_request_ms: float  # app(event, context) for GET /health
    maxrss_mib: float
    heavy_modules_loaded: list[str]
    module_count: int


def run_once(app_dir: Path, extra_args: tuple[str, ...] = (), read_only_code: bool = False) -> tuple[Sample, str]:
    """One fresh process; returns its sample and its stderr (for -X importtime)."""
    spawned_ns = time.monotonic_ns()
    proc = subprocess.run([python_executable(), *extra_args, str(CHILD_SCRIPT)], cwd=app_dir,
                          env=child_environment(read_only_code), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start child failed in {app_dir} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if not lines:
        raise RuntimeError(f"cold-start child printed no result in {app_dir}:\n{proc.stdout[-2000:]}")
    result = json.loads(lines[-1][len(RESULT_MARKER):])
    if result["status"] != 200:
        raise RuntimeError(f"GET /health answered {result['status']} in {app_dir}")
    ms = 1e-6
    return Sample(
        total_ms=(result["answered_ns"] - spawned_ns) * ms,
        startup_ms=(result["started_ns"] - spawned_ns) * ms,
        import_ms=(result["imported_ns"] - result["started_ns"]) * ms,
        first_request_ms=(result["answered_ns"] - result["imported_ns"]) * ms,
        maxrss_mib=result["maxrss_kib"] / 1024,
        heavy_modules_loaded=result["heavy_modules_loaded"],
        module_count=result["module_count"],
    ), proc.stderr


# --- -X importtime ---------------------------------------------------------------------------

_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)\s*$")


@dataclass
class ImportNode:
    name: str
    self_us: int
    cumulative_us: int
    children: list["ImportNode"] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[ImportNode]:
    """The import tree. -X importtime prints a module after its children (post-order), indented
    two spaces per nesting level, so pending nodes one level deeper are the children."""
    pending: dict[int, list[ImportNode]] = {}
    for line in stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if not match:
            continue
        level = len(match.group(3)) // 2
        node = ImportNode(match.group(4), int(match.group(1)), int(match.group(2)))
        node.children = pending.pop(level + 1, [])
        pending.setdefault(level, []).append(node)
    return pending.get(0, [])


def package_costs(roots: list[ImportNode]) -> dict[str, dict[str, float]]:
    """Per top-level package (first dotted component): `cumulative_ms`, the time of its outermost
    imports including whatever they pulled in first (what removing the import would roughly save),
    and `self_ms`, the time spent in its own modules only."""
    costs: dict[str, dict[str, float]] = {}

    def walk(node: ImportNode, enclosing: frozenset[str]) -> None:
        package = node.name.split(".")[0]
        entry = costs.setdefault(package, {"cumulative_ms": 0.0, "self_ms": 0.0})
        entry["self_ms"] += node.self_us / 1000
        if package not in enclosing:
            entry["cumulative_ms"] += node.cumulative_us / 1000
        for child in node.children:
            walk(child, enclosing | {package})

    for root in roots:
        walk(root, frozenset())
    return costs


def find_node(roots: list[ImportNode], name: str) -> ImportNode | None:
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.name == name:
            return node
        stack.extend(node.children)
    return None


def import_profile(app_dir: Path = PROJECT_DIR, read_only_code: bool = False) -> dict[str, Any]:
    """One `python -X importtime` run of each app, summarised for the report."""
    _, app_stderr = run_once(app_dir, ("-X", "importtime"), read_only_code)
    _, ref_stderr = run_once(REFERENCE_DIR, ("-X", "importtime"), read_only_code)
    app_roots, ref_roots = parse_importtime(app_stderr), parse_importtime(ref_stderr)
    app_costs, ref_costs = package_costs(app_roots), package_costs(ref_roots)
    own = {"app", "chalicelib"}  # the project's code: their cumulative would be "everything"
    stdlib = set(sys.stdlib_module_names)
    third_party = sorted(((name, cost) for name, cost in app_costs.items() if name not in own | stdlib),
                         key=lambda item: -item[1]["cumulative_ms"])
    packages = [{
        "package": name,
        "cumulative_ms": round(cost["cumulative_ms"], 1),
        "self_ms": round(cost["self_ms"], 1),
        "reference_cumulative_ms": round(ref_costs[name]["cumulative_ms"], 1) if name in ref_costs else None,
    } for name, cost in third_party[:10]]
    # Direct imports made by app.py (its children in the tree), the literal "first level".
    app_node = find_node(app_roots, "app")
    direct = sorted(app_node.children if app_node else [], key=lambda n: -n.cumulative_us)
    return {
        "app_import_ms": round(app_node.cumulative_us / 1000, 1) if app_node else None,
        "reference_import_ms": round(n.cumulative_us / 1000, 1) if (n := find_node(ref_roots, "app")) else None,
        "top_packages": packages,
        "app_direct_imports": [{"module": n.name, "cumulative_ms": round(n.cumulative_us / 1000, 1)}
                               for n in direct[:10]],
        "project_self_ms": round(sum(app_costs.get(name, {}).get("self_ms", 0.0) for name in own), 1),
        "stdlib_only_in_app_self_ms": round(sum(cost["self_ms"] for name, cost in app_costs.items()
                                                if name in stdlib and name not in ref_costs), 1),
    }


# --- the benchmark ---------------------------------------------------------------------------

def _median(samples: list[Sample], attribute: str) -> float:
    return statistics.median(getattr(s, attribute) for s in samples)


def measure(runs: int = 15, progress=print, app_dir: Path = PROJECT_DIR, read_only_code: bool = False) -> dict[str, Any]:
    # Warm-up (not counted): fills the bytecode cache and the OS page cache for both apps, so
    # every counted sample is a "warm disk, fresh process" cold start, like a Lambda container.
    run_once(app_dir, read_only_code=read_only_code)
    run_once(REFERENCE_DIR, read_only_code=read_only_code)
    app_samples: list[Sample] = []
    ref_samples: list[Sample] = []
    for i in range(runs):
        # Interleaved, and the order alternates too, so neither always runs right after the other.
        order = ((app_dir, app_samples), (REFERENCE_DIR, ref_samples))
        for directory, samples in (order if i % 2 == 0 else order[::-1]):
            samples.append(run_once(directory, read_only_code=read_only_code)[0])
        progress(f"  cold start {i + 1}/{runs}: app {app_samples[-1].total_ms:.0f} ms, "
                 f"reference {ref_samples[-1].total_ms:.0f} ms")

    metrics = {}
    for attribute in ("total_ms", "startup_ms", "import_ms", "first_request_ms", "maxrss_mib", "module_count"):
        app_median, ref_median = _median(app_samples, attribute), _median(ref_samples, attribute)
        metrics[attribute] = {
            "app": round(app_median, 2), "reference": round(ref_median, 2),
            "ratio": round(app_median / ref_median, 3) if ref_median else None,
            "app_min": round(min(getattr(s, attribute) for s in app_samples), 2),
            "app_max": round(max(getattr(s, attribute) for s in app_samples), 2),
            "reference_min": round(min(getattr(s, attribute) for s in ref_samples), 2),
            "reference_max": round(max(getattr(s, attribute) for s in ref_samples), 2),
        }
    heavy = sorted({name for s in app_samples for name in s.heavy_modules_loaded})
    return {
        "runs": runs,
        "metrics": metrics,
        "time_ratio": metrics["total_ms"]["ratio"],
        "memory_ratio": metrics["maxrss_mib"]["ratio"],
        "time_target": TIME_RATIO_TARGET,
        "memory_target": MEMORY_RATIO_TARGET,
        "time_ok": metrics["total_ms"]["ratio"] <= TIME_RATIO_TARGET,
        "memory_ok": metrics["maxrss_mib"]["ratio"] <= MEMORY_RATIO_TARGET,
        "heavy_modules_checked": list(HEAVY_MODULES),
        "heavy_modules_loaded": heavy,
        "heavy_ok": not heavy,
        "imports": import_profile(app_dir, read_only_code),
    }


def measure_zip(zip_path: Path, runs: int = 15, progress=print) -> dict[str, Any]:
    """The app run from a function zip, unpacked (see the module's doc)."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="cold-start-zip-") as task_root:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(task_root)
        result = measure(runs, progress, app_dir=Path(task_root), read_only_code=True)
        result["zip"] = {"path": str(zip_path), "has_bytecode": any(
            name.endswith(".pyc") for name in zipfile.ZipFile(zip_path).namelist())}
        return result


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=15)
    parser.add_argument("--zip", type=Path, help="run the app from this function zip (see the module's doc)")
    options = parser.parse_args()
    if options.zip:
        print(json.dumps(measure_zip(options.zip, options.runs), indent=2))
    else:
        print(json.dumps(measure(options.runs), indent=2))
