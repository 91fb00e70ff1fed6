"""KMS keys of the catalogue: the data key encrypts everything at rest (table, bucket, queues,
topics); the signing key signs the QR codes of attestations and receipts. Key policies name the AWS services that use them."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from chalicelib.resources import Catalogue, physical_name


class Keys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.by_logical: dict[str, kms.Key] = {}
        for key in catalogue.keys:
            symmetric = key.spec == "SYMMETRIC_DEFAULT"
            self.by_logical[key.logical] = kms.Key(
                self, f"Key-{key.logical}",
                alias=physical_name(key.logical, stage),
                description=key.description,
                key_spec=kms.KeySpec[key.spec],
                key_usage=kms.KeyUsage[key.usage],
                enable_key_rotation=symmetric,  # AWS rotates symmetric keys only
                removal_policy=cdk.RemovalPolicy.RETAIN,  # losing a key loses the data it encrypts
            )
        data = self.by_logical.get("data")
        if data is not None:
            # S3 sends upload notifications to queues encrypted with this key.
            data.add_to_resource_policy(iam.PolicyStatement(
                sid="S3NotificationsToEncryptedQueues",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            ))

    def __getitem__(self, logical: str) -> kms.Key:
        return self.by_logical[logical]
