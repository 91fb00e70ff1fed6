"""Peak memory of each Lambda function on its worst allowed input (issue 19, item 2), against the
memory it is given (`chalicelib/sizing.py`).

Each measure is a fresh process (`python bench/function_memory.py --one <case>`) that does what the
function's container does: imports `app` (the whole code, as every function does), builds the
AWS clients the function uses, then runs the function's heaviest work on the largest input the
checks allow, holding the input as the function holds it (the downloaded object in memory). Its
`ru_maxrss` is the peak. AWS itself is not called (moto would weigh more than the function): the
work measured is the part that grows with the input. `python bench/function_memory.py` prints
every case as JSON."""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

HEADROOM = 1.5  # target: the memory given is at least 1.5x the peak measured


def _worst_images(folder: Path, max_pixels: int) -> dict[str, Path]:
    """The largest images the checker accepts: as many pixels as allowed, in the heaviest modes
    (RGBA PNG decodes to 4 bytes a pixel; a JPEG to 3), small files (flat content compresses)."""
    from PIL import Image

    width = int((max_pixels * 4 / 3) ** 0.5)  # 4:3, like a phone photo
    height = max_pixels // width
    files = {}
    for name, mode, fmt in (("jpeg", "RGB", "JPEG"), ("png_rgba", "RGBA", "PNG")):
        path = folder / f"{name}.{fmt.lower()}"
        Image.new(mode, (width, height), (120, 130, 140, 200)[:len(mode)]).save(path, fmt)
        files[name] = path
    return files


def _clients(services: tuple[str, ...]) -> None:
    from chalicelib.adapters.aws import client

    for service in services:
        client(service)


def _run_case(case: str, argument: str | None) -> dict[str, Any]:
    os.environ.update({"PERMIS_STAGE": "dev", "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"})
    import app  # noqa: F401 - every function imports the whole app

    if case == "make_images":  # in a child: a parent's own peak would be inherited by the next ones
        print(json.dumps({name: str(path) for name, path in _worst_images(Path(argument), int(os.environ["MAX_PIXELS"])).items()}))
        raise SystemExit(0)
    if case == "import":
        _clients(("dynamodb", "sqs"))
    elif case.startswith("check_documents"):
        from chalicelib.documents.checks import check_document

        _clients(("dynamodb", "s3", "sqs"))
        data = Path(argument).read_bytes()
        content_type = "image/png" if argument.endswith(".png") else "image/jpeg"
        verdict = check_document(data, content_type, 1, len(data) + 1)
        assert type(verdict).__name__ == "Accepted", verdict
    elif case == "make_attestations":
        sys.path.insert(0, str(PROJECT_DIR / "bench"))
        from attestation import _data

        from chalicelib.documents.attestation import payload_for, render_attestation

        _clients(("dynamodb", "s3", "kms", "sqs"))
        data = _data()
        render_attestation(data, payload_for(data, "0badc0de", lambda message: b"s" * 72))
    else:
        raise SystemExit(f"unknown case {case}")
    return {"case": case, "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _child(case: str, argument: str | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--one", case] + ([argument] if argument else [])
    proc = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERMIS_"))})
    # A child inherits its parent's peak (Linux keeps ru_maxrss across fork and exec): the parent stays small.
    if proc.returncode:
        raise RuntimeError(f"{case} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def measure() -> dict[str, Any]:
    from chalicelib.documents.checks import DEFAULT_MAX_PIXELS
    from chalicelib.sizing import memory_mb

    with tempfile.TemporaryDirectory() as folder:
        os.environ["MAX_PIXELS"] = str(DEFAULT_MAX_PIXELS)
        images = _child("make_images", folder)
        peaks = {"import": _child("import")["peak_mib"]}
        for name, path in images.items():
            peaks[f"check_documents ({name}, {DEFAULT_MAX_PIXELS / 1e6:g} MP)"] = _child(
                f"check_documents_{name}", path)["peak_mib"]
        peaks["make_attestations"] = _child("make_attestations")["peak_mib"]
    rows = []
    for case, peak in peaks.items():
        function = case.split(" ", 1)[0] if case != "import" else None
        given = memory_mb(function) if function else memory_mb(None)
        rows.append({"case": case, "function": function or "every other function", "peak_mib": peak,
                     "memory_mb": given, "headroom": round(given / peak, 2), "ok": given >= HEADROOM * peak})
    return {"rows": rows, "max_pixels": DEFAULT_MAX_PIXELS, "headroom_target": HEADROOM,
            "ok": all(row["ok"] for row in rows), **artefacts()}


def artefacts() -> dict[str, Any]:
    """The dev stage synthesised (`python -m infra.app`, no lint), each function zip's size, zipped
    and unpacked, and the functions that run it (infra/artefacts.py)."""
    import zipfile

    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, "-m", "infra.app", "--stage", "dev", "--out", out], cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode:
            raise RuntimeError(f"synthesis failed:\n{proc.stderr[-3000:]}")
        assembly = Path(out) / "cdk.out"
        template = json.loads((assembly / "dev.template.json").read_text())
        users: dict[str, list[str]] = {}
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Serverless::Function":
                properties = resource["Properties"]
                users.setdefault(properties["CodeUri"]["Key"], []).append(properties["Handler"].removeprefix("app."))
        rows = []
        for key, functions in users.items():
            path = assembly / f"asset.{key}"
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(item.file_size for item in archive.infolist())
            rows.append({"functions": sorted("api_handler" if f == "app" else f for f in functions),
                         "zip_mb": round(path.stat().st_size / 2**20, 1), "unpacked_mb": round(unpacked / 2**20, 1)})
    return {"artefacts": sorted(rows, key=lambda row: row["zip_mb"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", nargs="+", metavar=("CASE", "INPUT"))
    parser.add_argument("--artefacts", action="store_true", help="the function zips' sizes only")
    args = parser.parse_args(argv)
    if args.artefacts:
        print(json.dumps(artefacts(), indent=1))
    elif args.one:
        print(json.dumps(_run_case(args.one[0], args.one[1] if len(args.one) > 1 else None)))
    else:
        print(json.dumps(measure(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
