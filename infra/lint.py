"""Lints a synthesised cloud assembly: `python -m infra.lint dist/dev/cdk.out`.

Runs in its own environment (.venv-lint: cfn-lint's SAM translator pins another pydantic).
cfn-lint 1.x no longer expands the SAM transform, so the Chalice functions and API would only be
checked loosely: each template is first translated by AWS's own SAM translator (which refuses
unknown event or API properties) into `<stack>.translated.json`, and cfn-lint checks both. Every
template of the assembly is linted: the stacks' and their nested stacks' (`*.nested.template.json`,
the queue families); a nested stack whose template is not in the assembly is an error. Exit
status 0 only when no error and no warning is left; rules silenced on purpose are listed, with
their reason, in IGNORED_RULES.

Only the standard library here: the tests import `nested_templates` from the main environment."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Rule id -> why it does not apply. Empty: nothing is silenced today.
IGNORED_RULES: dict[str, str] = {}


class _NoManagedPolicies:
    """The SAM translator asks IAM for managed policy ARNs only when a function lists managed
    policies by name; ours have their own roles (infra/permissions.py), so nothing is asked."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template_path: Path) -> Path | None:
    template = json.loads(template_path.read_text())
    if "AWS::Serverless-2016-10-31" not in str(template.get("Transform", "")):
        return None
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")  # the translator wants a region
    translated = transform(template, {}, _NoManagedPolicies())
    target = template_path.with_name(template_path.name.replace(".template.json", ".translated.json"))
    target.write_text(json.dumps(translated, indent=1))
    return target


def nested_templates(template_path: Path) -> dict[str, Path | None]:
    """The nested stacks of a template: their logical id -> their template in the assembly (None
    when missing). A nested stack's TemplateURL ends with its asset's hash (`/<hash>.json`); the
    assembly's asset manifests (`*.assets.json`) give the file of each hash."""
    assembly = template_path.parent
    files: dict[str, str] = {}
    for manifest in assembly.glob("*.assets.json"):
        for asset_hash, asset in json.loads(manifest.read_text()).get("files", {}).items():
            files[asset_hash] = asset["source"]["path"]
    nested: dict[str, Path | None] = {}
    for logical_id, resource in json.loads(template_path.read_text()).get("Resources", {}).items():
        if resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        url = resource.get("Properties", {}).get("TemplateURL")
        last = url["Fn::Join"][1][-1] if isinstance(url, dict) and "Fn::Join" in url else url
        asset_hash = str(last).rsplit("/", 1)[-1].removesuffix(".json")
        path = assembly / files[asset_hash] if asset_hash in files else None
        nested[logical_id] = path if path is not None and path.exists() else None
    return nested


def lint(assembly: Path) -> int:
    templates = sorted(assembly.glob("*.template.json"))
    if not templates:
        print(f"Aucun modèle dans {assembly} : lancez d'abord `make package`.", file=sys.stderr)
        return 2
    for template in templates:
        for logical_id, path in nested_templates(template).items():
            if path is None or path not in templates:
                print(f"{template.name} : le modèle de la pile imbriquée {logical_id} n'est pas dans {assembly}.",
                      file=sys.stderr)
                return 1
    to_check = [str(t) for t in templates]
    for template in templates:
        try:
            translated = translate(template)
        except Exception as error:  # the SAM translator's refusals (InvalidDocumentException...)
            print(f"{template.name} : le traducteur SAM refuse ce modèle : {error}", file=sys.stderr)
            return 1
        if translated:
            to_check.append(str(translated))
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "informational"]
    if IGNORED_RULES:
        command += ["--ignore-checks", *IGNORED_RULES]
    result = subprocess.run([*command, "--", *to_check], check=False)
    print(f"cfn-lint: {len(to_check)} modèles vérifiés dans {assembly}, "
          f"{'aucun avertissement' if result.returncode == 0 else 'voir ci-dessus'}.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(lint(Path(sys.argv[1])))
