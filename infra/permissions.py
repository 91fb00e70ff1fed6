"""One IAM role per function, with only what it uses:
- what the code does, declared next to the resources (`Catalogue.function_access`), checked
  against the calls each function really makes by tests/integration/test_permissions.py;
- what Lambda does on the function's behalf: read its event source (queue or stream), send
  stream failures to their queue, write its own log group, send traces;
- the KMS use those imply, since every queue, topic and bucket is encrypted with the data key.
Actions that AWS cannot scope to a resource are listed in UNSCOPABLE_ACTIONS; the one other "*" is
SNS's publish to a phone number (PHONE_NUMBER_ACTIONS), granted only to the functions the catalogue
gives an "sms" access; any other "*" is a bug (tests/infra/test_template.py fails on it)."""
from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from chalicelib.resources import Access

# X-Ray accepts no resource: "*" is the only possible value (IAM service authorization reference).
UNSCOPABLE_ACTIONS = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})

# An SMS is published to a phone number, which has no ARN: IAM can only name "*" for it (SNS's
# service authorization reference). Only functions declaring an "sms" access get it.
PHONE_NUMBER_ACTIONS = frozenset({"sns:Publish"})
PHONE_NUMBERS_RESOURCE = "*"

SQS_CONSUMER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes")
STREAM_READER_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                         "dynamodb:ListStreams")

LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

# KMS actions implied by an action on a resource encrypted with the data key.
_KMS_FOR_ACTION = {
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    "s3:PutObject": ("kms:GenerateDataKey", "kms:Decrypt"),
    "s3:GetObject": ("kms:Decrypt",),
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
}


@dataclass
class Grant:
    actions: list[str]
    resources: list[str]


def kms_actions_implied(actions: list[str]) -> list[str]:
    implied: set[str] = set()
    for action in actions:
        implied.update(_KMS_FOR_ACTION.get(action, ()))
    return sorted(implied)


class FunctionRole(Construct):
    """The role of one function; grants are collected, then written as one managed policy."""

    def __init__(self, scope: Construct, construct_id: str, *, function_name: str, physical_function_name: str,
                 resolve_arns) -> None:
        super().__init__(scope, construct_id)
        self.function_name = function_name
        self._resolve_arns = resolve_arns
        self._grants: list[Grant] = []
        self.role = iam.Role(
            self, "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Permis en ligne : rôle de la fonction {function_name}",
        )
        log_group_arn = cdk.Stack.of(self).format_arn(
            service="logs", resource="log-group", resource_name=f"/aws/lambda/{physical_function_name}",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self.grant(list(LOG_ACTIONS), [f"{log_group_arn}:*"])
        self.grant(sorted(UNSCOPABLE_ACTIONS), ["*"])

    def grant(self, actions: list[str], resources: list[str]) -> None:
        self._grants.append(Grant(sorted(actions), resources))

    def grant_access(self, access: Access) -> None:
        self.grant(list(access.actions), self._resolve_arns(access.kind, access.logical, access.actions))

    def grant_kms(self, actions: list[str], key_arn: str) -> None:
        implied = kms_actions_implied(actions)
        if implied:
            self.grant(implied, [key_arn])

    def finish(self) -> iam.Policy:
        """One policy resource (not inline in the role): the Cognito trigger's role reads the user
        pool, which names the trigger; an inline policy would make that a dependency cycle."""
        statements = [iam.PolicyStatement(actions=g.actions, resources=g.resources) for g in _merged(self._grants)]
        return iam.Policy(self, "Policy", statements=statements, roles=[self.role])


def _merged(grants: list[Grant]) -> list[Grant]:
    """Grants on the same resources become one statement (a shorter, readable policy)."""
    merged: dict[tuple[str, ...], set[str]] = {}
    for grant in grants:
        key = tuple(str(r) for r in grant.resources)
        merged.setdefault(key, set()).update(grant.actions)
    by_key = {tuple(str(r) for r in g.resources): g.resources for g in grants}
    return [Grant(sorted(actions), by_key[key]) for key, actions in merged.items()]
