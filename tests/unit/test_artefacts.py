"""The rule that lets most functions run without the document family (infra/artefacts.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

from infra.artefacts import DOCUMENT_PACKAGES, document_worker_modules, rule_breaches

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_code_keeps_the_document_family_to_the_document_workers():
    assert rule_breaches(PROJECT_DIR) == []
    assert document_worker_modules(PROJECT_DIR) == {
        "chalicelib.workers.documents", "chalicelib.workers.requests", "chalicelib.workers.attestations"}


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "chalicelib", project / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.gz", "fonts"))
    shutil.copy(PROJECT_DIR / "app.py", project / "app.py")
    return project


def test_a_route_that_would_render_a_pdf_or_call_a_worker_breaks_the_rule(tmp_path):
    project = _project(tmp_path)
    view = project / "chalicelib" / "api" / "health.py"
    view.write_text(view.read_text() + "\n\ndef lazy():\n    from chalicelib.documents.receipt import render_receipt\n")
    service = project / "chalicelib" / "services" / "requests.py"
    service.write_text(service.read_text() + "\n\ndef lazy():\n    import PIL.Image\n"
                       "    from chalicelib.workers import attestations\n")
    assert rule_breaches(project) == [
        "chalicelib.services.requests imports PIL (only chalicelib.documents may)",
        "chalicelib.api.health imports chalicelib.documents (only chalicelib.workers may)",
        "chalicelib.services.requests imports a worker module (only app.py may)"]
    assert "PIL" in DOCUMENT_PACKAGES


def test_the_zips_bytecode_is_what_lambda_loads_without_compiling_or_checking_the_source(tmp_path):
    import subprocess
    import sys

    from infra.artefacts import bytecode_entry

    cached, data = bytecode_entry("pkg/mod.py", b"VALUE = 'compiled'\n")
    assert cached == f"pkg/__pycache__/mod.{sys.implementation.cache_tag}.pyc"
    assert bytecode_entry("pkg/broken.py", b"def (:\n") is None
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / cached).write_bytes(data)
    # A source that differs from the bytecode: only an unchecked pyc gives the compiled value.
    (tmp_path / "pkg" / "mod.py").write_text("VALUE = 'source'\n")
    out = subprocess.run([sys.executable, "-B", "-c", "import pkg.mod; print(pkg.mod.VALUE, pkg.mod.__cached__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}).stdout.split()
    assert out[0] == "compiled"
