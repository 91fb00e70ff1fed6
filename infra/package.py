"""`make package`: synthesises every stage (templates and function zips) and lints them, and builds
the static site (dist/<stage>/web/), with no
AWS account and no network beyond the package registries (chalice downloads Lambda wheels).

    python -m infra.package [--out dist] [--stage dev --stage prod]

Each stage is synthesised in its own process (the app reads its stage at import time); cfn-lint
runs in .venv-lint (see infra/lint.py)."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
LINT_PYTHON = PROJECT_DIR / ".venv-lint" / "bin" / "python"


def package(stages: list[str], out: Path) -> int:
    for stage in stages:
        assembly = out / stage / "cdk.out"
        # A fresh assembly each time: assets of an earlier build must not be mistaken for this one.
        shutil.rmtree(out / stage, ignore_errors=True)
        print(f"==> synthèse de {stage} dans {assembly}", flush=True)
        synth = subprocess.run([sys.executable, "-m", "infra.app", "--stage", stage, "--out", str(out / stage)],
                               cwd=PROJECT_DIR, check=False)
        if synth.returncode:
            return synth.returncode
        print(f"==> cfn-lint de {stage}", flush=True)
        lint = subprocess.run([str(LINT_PYTHON), "-m", "infra.lint", str(assembly)], cwd=PROJECT_DIR, check=False)
        if lint.returncode:
            return lint.returncode
        from infra.site import build_site

        site = build_site(out / stage / "web")
        print(f"==> pages web de {stage} dans {site}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "dist")
    parser.add_argument("--stage", action="append", choices=["dev", "prod"])
    args = parser.parse_args(argv)
    return package(args.stage or ["dev", "prod"], args.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
