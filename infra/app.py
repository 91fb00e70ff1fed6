"""Synthesises one stage: `python -m infra.app --stage dev --out dist/dev`.

The Chalice app reads its stage and web origin at import time (queue names in decorators, CORS),
so the environment is set before anything imports it, and one process synthesises one stage.
Writes a CDK cloud assembly (templates + asset zips) that `cdk deploy --app <out>` deploys."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def synthesize(stage: str, out_dir: Path) -> Path:
    from infra.stages import STAGES

    config = STAGES[stage]
    os.environ.update({
        "PERMIS_STAGE": stage, "WEB_ORIGIN": config.web_origin,
        "AWS_DEFAULT_REGION": config.region, "AWS_REGION": config.region,
        "POWERTOOLS_TRACE_DISABLED": "true",  # nothing is traced while packaging
        # jsii warns about Node 20's end of life on every run; the synthesis itself works.
        # (the value lists the Node major versions to be quiet about: Debian 12 has 18, this kind 20).
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "18,20",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    })
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(out_dir)  # chalice.cdk writes its chalice.out/ working folder in the current directory
    sys.path.insert(0, str(PROJECT_DIR))

    import aws_cdk as cdk

    from app import app as chalice_app
    from chalicelib.resources import CATALOGUE
    from infra.api import AccountStack
    from infra.stack import PermisStack

    cdk_app = cdk.App(outdir=str(out_dir / "cdk.out"))
    environment = cdk.Environment(region=config.region)
    AccountStack(cdk_app, "account", stack_name="permis-account", env=environment, catalogue=CATALOGUE,
                 description="Permis en ligne : réglages du compte (une fois par compte et région)")
    # The construct id is the Chalice stage name (chalice.cdk packages the stage named like its scope).
    PermisStack(cdk_app, stage, stack_name=f"permis-{stage}", env=environment, config=config,
                catalogue=CATALOGUE.deployed(),
                project_dir=str(PROJECT_DIR), chalice_app=chalice_app,
                description=f"Permis en ligne ({stage})",
                termination_protection=True)
    cdk_app.synth()
    return out_dir / "cdk.out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(synthesize(args.stage, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
