"""Runs `make package`'s command once per test session (both stages, synthesis + cfn-lint) and
hands the templates to the assertions. About 50 s with the Lambda wheels cached. """
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
LINT_PYTHON = PROJECT_DIR / ".venv-lint" / "bin" / "python"


@dataclass
class Packaged:
    returncode: int
    output: str
    out: Path

    def assembly(self, stage: str) -> Path:
        return self.out / stage / "cdk.out"

    def template(self, stage: str, translated: bool = False) -> dict:
        suffix = "translated" if translated else "template"
        return json.loads((self.assembly(stage) / f"{stage}.{suffix}.json").read_text())

    def nested(self, stage: str) -> dict[str, dict]:
        """The stage's nested stacks (the queue families): their logical id in the stage's
        template -> their template."""
        from infra.lint import nested_templates

        found = nested_templates(self.assembly(stage) / f"{stage}.template.json")
        assert found and None not in found.values(), found
        return {logical_id: json.loads(path.read_text()) for logical_id, path in found.items()}


def pytest_collection_modifyitems(items):
    """The first test that needs the templates waits for the synthesis (CDK, the functions' zips
    with their bytecode, cfn-lint): a minute or two on a quiet machine, but over ten minutes beside
    another `make test` (measured), where it gets a sixth of the machine. 1800 s for these
    tests unless a test says otherwise (scaled to the load like every limit, tests/conftest.py): a
    limit for a hang, not for a busy machine, whose load may rise after the test has started."""
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/infra/" in str(item.fspath):
            item.add_marker(pytest.mark.timeout(1800))


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Packaged:
    """One synthesis for the whole run: under pytest-xdist each worker is a session of its own, so the
    first worker to need the templates makes them under a lock in the run's shared temporary
    directory, and the others read what it wrote."""
    if not LINT_PYTHON.exists():
        pytest.fail("cfn-lint's environment .venv-lint is missing: run the tests with `make test`.")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own
    out, outcome = shared / "dist", shared / "dist.outcome.json"
    with open(shared / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if this worker dies
        if not outcome.exists():
            result = subprocess.run([sys.executable, "-m", "infra.package", "--out", str(out)], cwd=PROJECT_DIR,
                                    capture_output=True, text=True, check=False)
            outcome.write_text(json.dumps({"returncode": result.returncode, "output": result.stdout + result.stderr}))
        made = json.loads(outcome.read_text())
    return Packaged(made["returncode"], made["output"], out)


@pytest.fixture(scope="session")
def dev(packaged) -> dict:
    assert packaged.returncode == 0, packaged.output[-4000:]
    return packaged.template("dev")


@pytest.fixture(scope="session")
def dev_translated(packaged) -> dict:
    assert packaged.returncode == 0, packaged.output[-4000:]
    return packaged.template("dev", translated=True)


@pytest.fixture(scope="session")
def dev_nested(packaged) -> dict[str, dict]:
    assert packaged.returncode == 0, packaged.output[-4000:]
    return packaged.nested("dev")


@pytest.fixture(scope="session")
def prod(packaged) -> dict:
    assert packaged.returncode == 0, packaged.output[-4000:]
    return packaged.template("prod")
