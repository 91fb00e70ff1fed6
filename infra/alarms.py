"""Operators' alarms, sent to an operators' SNS topic (encrypted, email subscription):
a dead-letter or failure queue that is not empty, work waiting too long in a queue, the API's
5xx rate, and any Lambda error or throttle. The queue families' dead-letter alarms are made by
`dead_letter_alarm` next to their queues, in their nested stacks (infra/queue_families.py), with
the same action; their queues have no oldest-message alarm (human work: the app shows
administrators how long it waits)."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.observability import ALERT_DIMENSIONS, ALERT_METRICS, METRICS_NAMESPACE
from chalicelib.resources import Catalogue
from infra.stages import StageConfig

FIVE_MINUTES = cdk.Duration.minutes(5)
_ALERTS = {
    "NephExhausted": "Les numéros NEPH d'un département sont épuisés pour le mois : ses validations d'inscription "
                     "sont refusées (503 neph_exhausted). Le journal « NEPH numbers exhausted » nomme le "
                     "département ; ouvrir d'autres bureaux (NEPH_OFFICES dans chalicelib/domain/instruction.py).",
}
_WHAT = {"Errors": "échoué (erreurs)", "Throttles": "été limitée faute de concurrence (throttles)"}


class Alarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, config: StageConfig,
                 queues: dict[str, sqs.Queue], dead_letter_queues: dict[str, sqs.Queue], api_name: str,
                 function_names: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(self, "OperatorsKey", enable_key_rotation=True,
                      alias=f"permis-{config.name}-operators",
                      description="Chiffrement des alertes d'exploitation")
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}))
        self.topic = sns.Topic(self, "Operators", topic_name=f"permis-{config.name}-operators",
                               master_key=key, enforce_ssl=True)
        # A fixed construct id: the stages differ by the address, not by the resource.
        sns.Subscription(self, "OperatorsEmail", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL,
                         endpoint=config.operators_email)
        # Every alarm of the stage acts on this topic (the queue families' too: infra/queue_families.py).
        self.action = actions.SnsAction(self.topic)

        for logical, queue in dead_letter_queues.items():
            dead_letter_alarm(self, f"DeadLetters-{logical}", queue, self.action, description=(
                f"Des messages de la file {logical} ont échoué {catalogue.queue(logical).max_receive_count} fois : "
                f"voir la DLQ et la rejouer."))
        for queue in catalogue.queues:
            if not queue.has_dead_letter_queue:  # a failure destination itself (stream failures)
                self._alarm(f"Failures-{queue.logical}", queues[queue.logical].metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"), threshold=1,
                    description=f"Des enregistrements ont échoué et attendent dans {queue.logical}.")
            if queue.max_message_age_seconds:
                self._alarm(f"OldestMessage-{queue.logical}", queues[queue.logical].metric_approximate_age_of_oldest_message(
                    period=FIVE_MINUTES, statistic="Maximum"), threshold=queue.max_message_age_seconds,
                    description=f"Le plus ancien message de {queue.logical} attend depuis plus de "
                                f"{queue.max_message_age_seconds // 60} minutes.")

        api_5xx = cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError", period=FIVE_MINUTES,
                                    statistic="Average", dimensions_map={"ApiName": api_name, "Stage": "api"})
        self._alarm("Api5xxRate", api_5xx, threshold=config.api_5xx_rate_alarm, comparison=(
            cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
            description=f"Plus de {config.api_5xx_rate_alarm:.0%} des requêtes de l'API finissent en erreur 5xx.")

        for name in ALERT_METRICS:  # the application's own alerts (chalicelib/observability.py)
            metric = cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name=name, period=FIVE_MINUTES,
                                       statistic="Sum", dimensions_map=ALERT_DIMENSIONS)
            self._alarm(name, metric, threshold=1, description=_ALERTS[name])

        for function, physical in sorted(function_names.items()):
            for metric_name in ("Errors", "Throttles"):
                metric = cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name, period=FIVE_MINUTES,
                                           statistic="Sum", dimensions_map={"FunctionName": physical})
                self._alarm(f"{metric_name}-{function}", metric, threshold=1,
                            description=f"La fonction {function} a {_WHAT[metric_name]}.")

    def _alarm(self, name: str, metric: cloudwatch.IMetric, *, threshold: float, description: str,
               comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> None:
        alarm(self, name, metric, self.action, threshold=threshold, description=description, comparison=comparison)


def alarm(scope: Construct, name: str, metric: cloudwatch.IMetric, action: cloudwatch.IAlarmAction, *,
          threshold: float, description: str,
          comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> cloudwatch.Alarm:
    """One alarm over five minutes; operators hear when it fires and when it is back to normal."""
    created = cloudwatch.Alarm(scope, name, metric=metric, threshold=threshold, evaluation_periods=1,
                               comparison_operator=comparison, alarm_description=description,
                               treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
    created.add_alarm_action(action)
    created.add_ok_action(action)
    return created


def dead_letter_alarm(scope: Construct, name: str, dead_letter_queue: sqs.IQueue, action: cloudwatch.IAlarmAction,
                      *, description: str) -> cloudwatch.Alarm:
    """A dead-letter queue is not empty: nothing consumes it, so one message is one too many."""
    return alarm(scope, name, dead_letter_queue.metric_approximate_number_of_messages_visible(
        period=FIVE_MINUTES, statistic="Maximum"), action, threshold=1, description=description)
