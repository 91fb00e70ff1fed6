"""Runs `make package`'s command once per test session (both stages, synthesis + cfn-lint) and
hands the templates to the assertions. About 50 s with the Lambda wheels cached."""
from __future__ import annotations

import json
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


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Packaged:
    if not LINT_PYTHON.exists():
        pytest.fail("cfn-lint's environment .venv-lint is missing: run the tests with `make test`.")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "infra.package", "--out", str(out)], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=600, check=False)
    return Packaged(result.returncode, result.stdout + result.stderr, out)


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
