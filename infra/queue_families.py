"""The queue families of the catalogue (`QueueFamily`): queues of human work, three per member
(new requests, requests back from a complement, both redriving to the member's dead-letter queue),
each encrypted with the data key and TLS only, with a dead-letter alarm per member.

The instruction family has 102 members: 306 queues, 306 TLS-only queue policies and 102 alarms,
more than CloudFormation's 500 resources per stack. They live in nested stacks, a fixed number per
family (`STACKS_PER_FAMILY`), each member in the stack its name hashes to: adding or removing a
member never moves another member's queues to another stack (CloudFormation would create the moved
queue, under the same name, before deleting the old one, and fail). Changing `STACKS_PER_FAMILY`
moves queues: only with a migration (infra/README.md).

Functions do not get one variable per queue (Lambda's 4 KB of environment): one per family
(`QueueFamily.env_url_prefix`) holds the URL every queue of the family starts with
(`family_url_prefix`), to which they add the member and lane; their roles name the family by its
physical prefix (`family_arn`), which covers exactly the family's queues of the stage."""
from __future__ import annotations

import zlib

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.resources import Catalogue, QueueFamily
from infra.alarms import dead_letter_alarm
from infra.messaging import encrypted_queue

STACKS_PER_FAMILY = 4  # the instruction family: 24 to 26 members, about 180 resources per stack
RESOURCES_PER_MEMBER = 7  # 3 queues, their 3 TLS-only policies, 1 alarm
MAX_RESOURCES_PER_STACK = 400  # CloudFormation allows 500; room for what a member may gain


def stack_of(member: str) -> int:
    """The nested stack (0 … STACKS_PER_FAMILY - 1) of a member: a hash of its name only (crc32:
    stable across processes and Python versions, unlike `hash`)."""
    return zlib.crc32(member.encode()) % STACKS_PER_FAMILY


def members_by_stack(family: QueueFamily) -> list[tuple[str, ...]]:
    groups: list[list[str]] = [[] for _ in range(STACKS_PER_FAMILY)]
    for member in family.members:
        groups[stack_of(member)].append(member)
    for index, members in enumerate(groups):
        if len(members) * RESOURCES_PER_MEMBER > MAX_RESOURCES_PER_STACK:
            raise ValueError(f"the nested stack {index + 1} of the queue family {family.logical} would hold "
                             f"{len(members)} members: raise STACKS_PER_FAMILY (which moves queues: a migration)")
    return [tuple(members) for members in groups]


def family_url_prefix(scope: Construct, family: QueueFamily, stage: str) -> str:
    """`https://sqs.<region>.<URL suffix>/<account>/permis-<stage>-<family>-`: a family queue's URL
    is this and the rest of its name (`ddt-69-retours`), as the local stack sets it."""
    stack = cdk.Stack.of(scope)
    return f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{family.physical_prefix(stage)}"


def family_arn(scope: Construct, family: QueueFamily, stage: str) -> str:
    """`arn:aws:sqs:<region>:<account>:permis-<stage>-<family>-*`: every queue of the family in this
    stage and nothing else (no catalogue queue starts so, tests/unit/test_resources.py)."""
    return cdk.Stack.of(scope).format_arn(service="sqs", resource=f"{family.physical_prefix(stage)}*",
                                          arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)


class QueueFamilies(Construct):
    """The nested stacks of every family. They receive the data key's ARN and the operators' topic
    as parameters named here (CDK's generated names contain the stage, and the stages' templates
    must differ by values only); the parent needs nothing back from them."""

    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, stage: str,
                 data_key: kms.IKey, operators_topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.stacks: dict[str, list[QueueFamilyStack]] = {}
        for family in catalogue.queue_families:
            groups = members_by_stack(family)
            self.stacks[family.logical] = [
                QueueFamilyStack(self, f"{family.logical}-{index + 1}", family=family, members=members,
                                 stage=stage, parameters={
                                     DATA_KEY_PARAMETER: data_key.key_arn,
                                     OPERATORS_TOPIC_PARAMETER: operators_topic.topic_arn},
                                 description=f"Permis en ligne ({stage}) : files {family.logical}, "
                                             f"partie {index + 1} sur {len(groups)}")
                for index, members in enumerate(groups) if members]


DATA_KEY_PARAMETER = "DataKeyArn"
OPERATORS_TOPIC_PARAMETER = "OperatorsTopicArn"


class QueueFamilyStack(cdk.NestedStack):
    """Some members of a family: their queues and their dead-letter alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, family: QueueFamily, members: tuple[str, ...],
                 stage: str, parameters: dict[str, str], description: str) -> None:
        super().__init__(scope, construct_id, parameters=parameters, description=description)
        data_key = kms.Key.from_key_arn(self, "DataKey", cdk.CfnParameter(
            self, DATA_KEY_PARAMETER, description="ARN de la clé data de l'étape").value_as_string)
        alarm_action = actions.SnsAction(sns.Topic.from_topic_arn(self, "Operators", cdk.CfnParameter(
            self, OPERATORS_TOPIC_PARAMETER, description="Sujet SNS des alertes d'exploitation").value_as_string))
        self.members = members
        self.queues: dict[str, sqs.Queue] = {}
        for member in members:
            dead_letter_logical = family.dead_letter_logical(member)
            dlq = encrypted_queue(self, dead_letter_logical, stage, data_key,
                                  retention_seconds=family.dead_letter_retention_seconds)
            self.queues[dead_letter_logical] = dlq
            for returning in (False, True):
                logical = family.queue_logical(member, returning)
                self.queues[logical] = encrypted_queue(
                    self, logical, stage, data_key, retention_seconds=family.message_retention_seconds,
                    visibility_timeout_seconds=family.lease_seconds,  # an agent's claim
                    dead_letter=sqs.DeadLetterQueue(queue=dlq, max_receive_count=family.max_receive_count))
            dead_letter_alarm(self, f"DeadLetters-{dead_letter_logical}", dlq, alarm_action, description=(
                f"Des demandes des files {family.queue_logical(member)} et {family.queue_logical(member, True)} "
                f"ont été reçues {family.max_receive_count} fois sans décision, ou sont illisibles : voir "
                f"{dead_letter_logical} et les remettre en file."))
