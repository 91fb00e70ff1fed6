"""The Chalice app, packaged by chalice.cdk at synth time, and what Chalice cannot express:
a name, a log group and a role per function, the settings of its event sources
(ReportBatchItemFailures, stream retries and failure destination), and the app's own
environment (resource identifiers)."""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.sizing import memory_mb
from infra.artefacts import bytecode_entry, document_worker_modules, write_core_zip

# Code that never runs in Lambda: the embedded local stack, the admin commands, the script that
# rebuilds the reference data, the demo resource (moto only: app.py registers it outside the
# deployed stages) (bytecode caches are dropped too).
EXCLUDED_FROM_PACKAGE = ("chalicelib/local/", "chalicelib/cli/", "chalicelib/data/build_reference_data.py",
                         "chalicelib/api/demo.py", "chalicelib/workers/demo.py", "chalicelib/services/demo.py",
                         "chalicelib/domain/demo.py", "chalicelib/adapters/demo_repository.py")
API_FUNCTION = "api_handler"
_RETENTION = {7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
              90: logs.RetentionDays.THREE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS,
              365: logs.RetentionDays.ONE_YEAR}


def log_retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log retention must be one of {sorted(_RETENTION)} days, not {days}")
    return _RETENTION[days]


class PackagedChalice(Chalice):
    """chalice.cdk's construct, minus the local-only code in the zip, keeping the SAM template,
    and the core zip beside it (infra/artefacts.py)."""

    def _package_app(self) -> None:
        super()._package_app()
        zip_path = os.path.join(self._sam_package_dir, "deployment.zip")
        _strip_zip(zip_path, EXCLUDED_FROM_PACKAGE)
        self.core_zip_path = os.path.join(self._sam_package_dir, "core.zip")
        write_core_zip(Path(zip_path), Path(self.core_zip_path))
        with open(os.path.join(self._sam_package_dir, "sam.json")) as template:
            self.packaged_template: dict[str, Any] = json.load(template)


def _strip_zip(path: str, prefixes: tuple[str, ...]) -> None:
    """The zip without `prefixes` nor the build machine's bytecode caches, and with each module's
    bytecode compiled for Lambda (infra/artefacts.py, bytecode_entry)."""
    stripped = path + ".tmp"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if not item.filename.startswith(prefixes) and "__pycache__/" not in item.filename:
                content = source.read(item.filename)
                target.writestr(item, content)
                compiled = bytecode_entry(item.filename, content) if item.filename.endswith(".py") else None
                if compiled is not None:
                    cached = zipfile.ZipInfo(compiled[0], date_time=item.date_time)
                    cached.external_attr, cached.compress_type = item.external_attr, zipfile.ZIP_DEFLATED
                    target.writestr(cached, compiled[1])
    os.replace(stripped, path)


@dataclass
class PackagedFunction:
    name: str  # the Chalice function name (api_handler, relay_outbox...)
    module: str  # where Chalice found its handler (app, chalicelib.workers.outbox...)
    logical_id: str  # its resource in the SAM template
    physical_name: str
    events: dict[str, dict[str, Any]]  # SAM event name -> event


def lambda_handler(function: str) -> str:
    return "app.app" if function == API_FUNCTION else f"app.{function}"


def physical_function_name(stage: str, function: str) -> str:
    return f"permis-{stage}-{function.replace('_', '-')}"


class Functions(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, project_dir: str, stage: str,
                 environment: dict[str, str], log_retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        # Scoped on the stack: chalice.cdk takes the Chalice stage name from its scope's path, and
        # the stack's construct id is the stage (dev, prod) of .chalice/config.json.
        self.chalice = PackagedChalice(cdk.Stack.of(self), "Chalice", source_dir=project_dir, stage_config={
            "environment_variables": environment,
            # Roles are made per function in infra/permissions.py; this placeholder is replaced below.
            "manage_iam_role": False,
            "iam_role_arn": "arn:aws:iam::000000000000:role/replaced-by-infra",
        })
        self.functions = self._functions_of(self.chalice.packaged_template)
        # Every function but those of the document workers runs the core zip (infra/artefacts.py).
        core = s3_assets.Asset(self, "CoreCode", path=self.chalice.core_zip_path)
        document_workers = document_worker_modules(Path(project_dir))
        self.whole_artefact = {f.name for f in self.functions.values() if f.module in document_workers}
        for function in self.functions.values():
            if function.name not in self.whole_artefact:
                self.resource(function.name).add_property_override(
                    "CodeUri", {"Bucket": core.s3_bucket_name, "Key": core.s3_object_key})
        self.log_groups: dict[str, logs.LogGroup] = {}
        for function in self.functions.values():
            self.resource(function.name).add_property_override("FunctionName", function.physical_name)
            self.resource(function.name).add_property_override("MemorySize", memory_mb(function.name))
            if function.name != API_FUNCTION:
                # Through app.py, as locally (see app.py): the blueprint's module alone has no middleware.
                self.resource(function.name).add_property_override("Handler", lambda_handler(function.name))
            self.log_groups[function.name] = logs.LogGroup(
                self, f"Logs-{function.name}", log_group_name=f"/aws/lambda/{function.physical_name}",
                retention=log_retention(log_retention_days),
                removal_policy=cdk.RemovalPolicy.DESTROY)
            # Created before the function, or Lambda would create it first without retention.
            self.resource(function.name).add_resource_dependency(self.log_groups[function.name].node.default_child)

    def _functions_of(self, template: dict[str, Any]) -> dict[str, PackagedFunction]:
        handlers = {}
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            handler = resource["Properties"]["Handler"]
            module, name = ("app", API_FUNCTION) if handler == "app.app" else handler.rsplit(".", 1)
            handlers[name] = PackagedFunction(
                name=name, module=module, logical_id=logical_id, physical_name=physical_function_name(self.stage, name),
                events=resource["Properties"].get("Events", {}))
        return handlers

    def resource(self, function: str) -> cdk.CfnResource:
        return self.chalice.get_resource(self.functions[function].logical_id)

    def arn(self, function: str) -> str:
        return self.resource(function).get_att("Arn").to_string()

    def set_role(self, function: str, role_arn: str) -> None:
        self.resource(function).add_property_override("Role", role_arn)

    def set_event(self, function: str, event_name: str, **properties: Any) -> None:
        for key, value in properties.items():
            self.resource(function).add_property_override(f"Events.{event_name}.Properties.{key}", value)

    @property
    def rest_api(self) -> cdk.CfnResource:
        return self.chalice.get_resource("RestAPI")
