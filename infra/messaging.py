"""SQS queues (each with its dead-letter queue), SNS topics and the SES configuration sets of the
catalogue. Queues and topics are encrypted with the data key and reachable over TLS only."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.resources import Catalogue, Queue, physical_name


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, stage: str,
                 data_key: kms.Key) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for queue in catalogue.queues:
            self._queue(queue, stage, data_key)
        self.topics = {
            topic.logical: sns.Topic(self, f"Topic-{topic.logical}", topic_name=physical_name(topic.logical, stage),
                                     master_key=data_key, enforce_ssl=True)
            for topic in catalogue.topics}
        # Per stage: the configuration set every email is sent through (the app names it on each
        # send). The domain identity itself is an account setting: AccountStack (infra/api.py).
        self.configuration_sets: dict[str, ses.ConfigurationSet] = {}
        for identity in catalogue.email_identities:
            configuration_set = ses.ConfigurationSet(
                self, f"EmailConfig-{identity.logical}",
                configuration_set_name=physical_name(identity.logical, stage),
                tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
                reputation_metrics=True,
                sending_enabled=True,
                suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            )
            self.configuration_sets[identity.logical] = configuration_set

    def _queue(self, queue: Queue, stage: str, data_key: kms.Key) -> None:
        dead_letter = None
        if queue.has_dead_letter_queue:
            dlq = sqs.Queue(
                self, f"Queue-{queue.dead_letter_logical}",
                queue_name=physical_name(queue.dead_letter_logical, stage),
                encryption=sqs.QueueEncryption.KMS, encryption_master_key=data_key,
                data_key_reuse=cdk.Duration.hours(1),
                retention_period=cdk.Duration.seconds(queue.dead_letter_retention_seconds),
                enforce_ssl=True,
            )
            self.dead_letter_queues[queue.logical] = dlq
            dead_letter = sqs.DeadLetterQueue(queue=dlq, max_receive_count=queue.max_receive_count)
        self.queues[queue.logical] = sqs.Queue(
            self, f"Queue-{queue.logical}",
            queue_name=physical_name(queue.logical, stage),
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=data_key,
            data_key_reuse=cdk.Duration.hours(1),  # fewer KMS calls; messages carry identifiers only
            visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout_seconds),
            retention_period=cdk.Duration.seconds(queue.message_retention_seconds),
            dead_letter_queue=dead_letter,
            enforce_ssl=True,
        )
