"""Each function gets the code it can run, not the whole product (issue 19, item 3).

Chalice packages one zip. Half of its weight is the document family (fpdf2, fontTools, Pillow and
its bundled libraries, and chalicelib's PDF layouts and fonts: about 52 of 103 MB unzipped), which
only the workers that make or check documents use. So two artefacts are built from Chalice's zip: the whole zip for the functions of the worker modules that import
`chalicelib.documents`, and the core zip (the same without the document family) for every other
function, the API and its authorizer included.

What makes this safe is a rule on the code, read here from its imports and checked by
tests/unit/test_artefacts.py: the document packages are imported only under chalicelib/documents/,
which only worker modules import, and no worker module is imported by the API's code
(api/, services/, adapters/, domain/, auth/). A function of any other module therefore never
reaches the document family, whatever the path its code takes."""
from __future__ import annotations

import ast
import importlib.util
import marshal
import posixpath
import sys
import zipfile
from pathlib import Path

DOCUMENTS_PACKAGE = "chalicelib.documents"
# (segno, 0.3 MB, draws the attestations' QR codes and the MFA set-up's: it stays in the core zip.)
DOCUMENT_PACKAGES = ("fpdf", "fontTools", "PIL", "defusedxml")
# Their files in Chalice's zip: packages, distribution metadata, Pillow's libraries, our PDF code and fonts.
DOCUMENT_PATHS = ("fpdf/", "fpdf2-", "fontTools/", "fonttools-", "PIL/", "pillow-", "pillow.libs/",
                  "defusedxml/", "defusedxml-", "chalicelib/documents/", "chalicelib/data/fonts/")
# Code that never runs in Lambda (stripped from both artefacts by infra/functions.py).
NOT_DEPLOYED = ("chalicelib/local/", "chalicelib/cli/")
# Where Lambda unpacks a function's zip (the file names its code objects carry, for tracebacks).
LAMBDA_TASK_ROOT = "/var/task"
# A PEP 552 pyc that Python loads without looking at the source: the zip's files never change.
_UNCHECKED_HASH_PYC = (0b01).to_bytes(4, "little")


def module_name(project_dir: Path, path: Path) -> str:
    relative = path.relative_to(project_dir).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def deployed_modules(project_dir: Path) -> dict[str, Path]:
    """app.py and chalicelib's modules that ship to Lambda."""
    files = [project_dir / "app.py", *sorted((project_dir / "chalicelib").rglob("*.py"))]
    return {module_name(project_dir, path): path for path in files
            if not str(path.relative_to(project_dir)).startswith(NOT_DEPLOYED)}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (`from a import b` counts as
    a.b too, since b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def importers(project_dir: Path, package: str) -> set[str]:
    """The deployed modules outside `package` that import it (or one of its modules)."""
    return {name for name, path in deployed_modules(project_dir).items()
            if not _is_in(name, package) and any(_is_in(imported, package) for imported in imports_of(path))}


def document_worker_modules(project_dir: Path) -> set[str]:
    """The modules whose functions get the whole artefact."""
    return importers(project_dir, DOCUMENTS_PACKAGE)


def cached_name(name: str) -> str:
    """Where Python looks for the bytecode of the zip's module `name` (no pycache prefix on Lambda)."""
    folder, file = posixpath.split(name)
    return posixpath.join(folder, "__pycache__", f"{file[:-3]}.{sys.implementation.cache_tag}.pyc")


def bytecode_entry(name: str, source: bytes) -> tuple[str, bytes] | None:
    """The compiled module of the zip's file `name`, as Python caches it beside the source
    (`pkg/__pycache__/mod.cpython-311.pyc`), or None when it does not compile (left to fail at
    import, as without it). Lambda's /var/task is read-only: without these, every cold start
    compiles every module it imports. Compiled by this interpreter, for the functions' runtime
    (Chalice packages for the Python that runs it)."""
    try:
        code = compile(source, posixpath.join(LAMBDA_TASK_ROOT, name), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return cached_name(name), importlib.util.MAGIC_NUMBER + _UNCHECKED_HASH_PYC + importlib.util.source_hash(source) \
        + marshal.dumps(code)


def write_core_zip(whole: Path, core: Path) -> None:
    """The whole zip without the document family."""
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(core, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if not item.filename.startswith(DOCUMENT_PATHS):
                target.writestr(item, source.read(item.filename))


def rule_breaches(project_dir: Path) -> list[str]:
    """What would let a core-zip function reach the document family (empty: none)."""
    breaches = []
    for package in DOCUMENT_PACKAGES:
        breaches += [f"{module} imports {package} (only {DOCUMENTS_PACKAGE} may)"
                     for module in sorted(importers(project_dir, package)) if not _is_in(module, DOCUMENTS_PACKAGE)]
    breaches += [f"{module} imports {DOCUMENTS_PACKAGE} (only chalicelib.workers may)"
                 for module in sorted(importers(project_dir, DOCUMENTS_PACKAGE))
                 if not _is_in(module, "chalicelib.workers")]
    breaches += [f"{module} imports a worker module (only app.py may)"
                 for module in sorted(importers(project_dir, "chalicelib.workers")) if module != "app"]
    return breaches
