"""One stage of Permis en ligne: composes the concerns of infra/ and wires them together.
Each resource comes from the catalogue; each function from the Chalice app."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
from constructs import Construct

from chalicelib.api.http import ROUTE_DOCS
from chalicelib.resources import CATALOGUE, SCHEDULED_JOBS_ON_FAILURE, Catalogue, physical_name
from chalicelib.sizing import QUEUE_CONSUMER_CONCURRENCY, SCHEDULED_CONCURRENCY
from infra.alarms import Alarms
from infra.api import ApiSettings
from infra.functions import Functions
from infra.identity import Identity
from infra.keys import Keys
from infra.messaging import Messaging
from infra.permissions import PHONE_NUMBERS_RESOURCE, SQS_CONSUMER_ACTIONS, STREAM_READER_ACTIONS, FunctionRole
from infra.queue_families import QueueFamilies, family_arn, family_url_prefix
from infra.stages import StageConfig
from infra.storage import Storage
from infra.website import Website


class PermisStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, project_dir: str,
                 chalice_app, catalogue: Catalogue = CATALOGUE.deployed(), **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        stage = config.name
        self.catalogue = catalogue
        self.keys = Keys(self, "Keys", catalogue=catalogue, stage=stage)
        data_key = self.keys["data"]
        self.messaging = Messaging(self, "Messaging", catalogue=catalogue, stage=stage, data_key=data_key)
        self.storage = Storage(self, "Storage", catalogue=catalogue, stage=stage, data_key=data_key,
                               web_origin=config.web_origin, queues=self.messaging.queues)
        pool = catalogue.user_pool("users")
        email = catalogue.email_identity("notifications")
        self.identity = Identity(self, "Identity", pool=pool, stage=stage, email_address=email.address,
                                 email_domain=email.domain, configuration_set_name=physical_name(email.logical, stage),
                                 web_origin=config.web_origin,
                                 franceconnect_secret=self.messaging.secrets["franceconnect"])
        # Cognito sends its own emails (verification codes) through the product's SES domain,
        # verified once per account (AccountStack, infra/README.md "first deployment").
        self.identity.node.add_dependency(self.messaging.configuration_sets[email.logical])

        environment = self.environment(catalogue, config)
        self.functions = Functions(self, "Functions", project_dir=project_dir, stage=stage,
                                   environment=environment, log_retention_days=config.log_retention_days)
        self._check_functions_match_the_catalogue(catalogue, chalice_app)
        self._bind_event_sources(catalogue, chalice_app)
        self.roles = self._roles(catalogue, chalice_app)

        if pool.staff_mfa_function:
            self._bind_staff_mfa_gate(pool.staff_mfa_function, pool)

        self.api = ApiSettings(self, "Api", rest_api=self.functions.rest_api, config=config,
                               routes=list(ROUTE_DOCS.values()))
        self.alarms = Alarms(self, "Alarms", catalogue=catalogue, config=config, queues=self.messaging.queues,
                             dead_letter_queues=self.messaging.dead_letter_queues, api_name=self.api.api_name,
                             function_names={f.name: f.physical_name for f in self.functions.functions.values()})
        self.website = Website(self, "Website", stage=stage, region=config.region,
                               rest_api=self.functions.rest_api,
                               documents_bucket=self.storage.buckets["documents"].bucket_name)
        # Nested stacks (too many queues for this one); functions reach them by name, not by reference.
        self.queue_families = QueueFamilies(self, "QueueFamilies", catalogue=catalogue, stage=stage,
                                            data_key=data_key, operators_topic=self.alarms.topic)

    # --- what the functions read from their environment ----------------------------------------

    def environment(self, catalogue: Catalogue, config: StageConfig) -> dict[str, str]:
        """The same variables the local launcher sets (chalicelib/local/provision.py)."""
        env = {"WEB_ORIGIN": config.web_origin, "EPHOTO_API_URL": config.ephoto_api_url}
        for key in catalogue.keys:
            env[key.env_id] = self.keys[key.logical].key_id
        for table in catalogue.tables:
            env[table.env_name] = self.storage.tables[table.logical].table_name
            if table.stream_view:
                env[table.env_stream_arn] = self.storage.tables[table.logical].table_stream_arn
        for queue in catalogue.queues:
            env[queue.env_url] = self.messaging.queues[queue.logical].queue_url
            if queue.has_dead_letter_queue:
                env[queue.env_dead_letter_url] = self.messaging.dead_letter_queues[queue.logical].queue_url
        for family in catalogue.queue_families:
            if family.members:  # one variable per family, not per queue (Lambda's 4 KB of environment)
                env[family.env_url_prefix] = family_url_prefix(self, family, config.name)
        for bucket in catalogue.buckets:
            env[bucket.env_name] = self.storage.buckets[bucket.logical].bucket_name
        for topic in catalogue.topics:
            env[topic.env_arn] = self.messaging.topics[topic.logical].topic_arn
        for secret in catalogue.secrets:
            env[secret.env_arn] = self.messaging.secrets[secret.logical].secret_arn
        for identity in catalogue.email_identities:
            env[identity.env_address] = identity.address
            env[identity.env_configuration_set] = self.messaging.configuration_sets[identity.logical].configuration_set_name
        for sender in catalogue.sms_senders:
            env[sender.env_sender_id] = sender.sender_id
        for pool in catalogue.user_pools:
            env[pool.env_id] = self.identity.user_pool.user_pool_id
            env[pool.env_client_id] = self.identity.client.user_pool_client_id
            env[pool.env_domain] = self.identity.domain.base_url()
        return env

    # --- functions, their event sources and their roles ----------------------------------------

    def _check_functions_match_the_catalogue(self, catalogue: Catalogue, chalice_app) -> None:
        packaged = set(self.functions.functions)
        missing = set(catalogue.function_access) - packaged
        if missing:
            raise ValueError(f"function_access names functions the app does not have: {sorted(missing)}")
        for source in chalice_app.event_sources:
            if isinstance(source, SQSEventConfig) and source.queue not in {
                    physical_name(q.logical, self.functions.stage) for q in catalogue.queues}:
                raise ValueError(f"{source.name} consumes {source.queue}, which is not a catalogue queue")

    def _bind_event_sources(self, catalogue: Catalogue, chalice_app) -> None:
        """Chalice never sets ReportBatchItemFailures nor the stream's retry and failure settings."""
        for source in chalice_app.event_sources:
            function = self.functions.functions[source.name]
            for event_name, event in function.events.items():
                if event["Type"] == "SQS":
                    queue = self._queue_by_physical_name(catalogue, source.queue)
                    logical = next(q.logical for q in catalogue.queues
                                   if physical_name(q.logical, self.functions.stage) == source.queue)
                    self.functions.set_event(source.name, event_name, Queue=queue.queue_arn,
                                             FunctionResponseTypes=["ReportBatchItemFailures"],
                                             ScalingConfig={"MaximumConcurrency": QUEUE_CONSUMER_CONCURRENCY[logical]})
                elif event["Type"] == "Schedule":
                    # One run at a time: a run that outlasts its period must not take the same due items.
                    self.functions.resource(source.name).add_property_override(
                        "ReservedConcurrentExecutions", SCHEDULED_CONCURRENCY)
                    # A run that fails (after Lambda's 2 retries) leaves its record for the operators.
                    lambda_.CfnEventInvokeConfig(
                        self, f"OnFailure-{source.name}", function_name=self.functions.resource(source.name).ref,
                        qualifier="$LATEST", maximum_retry_attempts=2,
                        destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                            on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                                destination=self.messaging.queues[SCHEDULED_JOBS_ON_FAILURE].queue_arn)))
                elif event["Type"] == "DynamoDB":
                    consumer = catalogue.stream_consumer(source.name)
                    table = self.storage.tables[consumer.table]
                    self.functions.set_event(
                        source.name, event_name, Stream=table.table_stream_arn,
                        FunctionResponseTypes=["ReportBatchItemFailures"],
                        MaximumRetryAttempts=consumer.max_retry_attempts,
                        BisectBatchOnFunctionError=True,
                        DestinationConfig={"OnFailure": {
                            "Type": "SQS", "Destination": self.messaging.queues[consumer.on_failure_queue].queue_arn}})

    def _queue_by_physical_name(self, catalogue: Catalogue, name: str):
        for queue in catalogue.queues:
            if physical_name(queue.logical, self.functions.stage) == name:
                return self.messaging.queues[queue.logical]
        raise ValueError(f"no catalogue queue is named {name}")

    def _roles(self, catalogue: Catalogue, chalice_app) -> dict[str, FunctionRole]:
        roles: dict[str, FunctionRole] = {}
        data_key_arn = self.keys["data"].key_arn
        for function in self.functions.functions.values():
            role = FunctionRole(self, f"Role-{function.name}", function_name=function.name,
                                physical_function_name=function.physical_name, resolve_arns=self.arns)
            for access in catalogue.function_access.get(function.name, ()):
                role.grant_access(access)
                if access.kind in ("queue", "queue_family", "topic", "bucket", "secret"):
                    role.grant_kms(list(access.actions), data_key_arn)
            roles[function.name] = role
        for source in chalice_app.event_sources:
            role = roles[source.name]
            if isinstance(source, SQSEventConfig):
                queue = self._queue_by_physical_name(catalogue, source.queue)
                role.grant(list(SQS_CONSUMER_ACTIONS), [queue.queue_arn])
                role.grant_kms(list(SQS_CONSUMER_ACTIONS), data_key_arn)
            elif isinstance(source, ScheduledEventConfig):  # its failure destination (Lambda sends as the role)
                role.grant(["sqs:SendMessage"], [self.messaging.queues[SCHEDULED_JOBS_ON_FAILURE].queue_arn])
                role.grant_kms(["sqs:SendMessage"], data_key_arn)
            elif isinstance(source, DynamoDBEventConfig):
                consumer = catalogue.stream_consumer(source.name)
                table = self.storage.tables[consumer.table]
                role.grant(list(STREAM_READER_ACTIONS), [f"{table.table_arn}/stream/*"])
                failures = self.messaging.queues[consumer.on_failure_queue]
                role.grant(["sqs:SendMessage"], [failures.queue_arn])
                role.grant_kms(["sqs:SendMessage"], data_key_arn)
        for name, role in roles.items():
            policy = role.finish()
            self.functions.set_role(name, role.role.role_arn)
            if name != catalogue.user_pool("users").staff_mfa_function:
                # Lambda checks the role can read the event source when it creates the mapping.
                self.functions.resource(name).add_resource_dependency(policy.node.default_child)
        return roles

    def arns(self, kind: str, logical: str, actions: tuple[str, ...] = ()) -> list[str]:
        """Every ARN an access to `logical` covers, as narrowly as IAM allows."""
        if kind == "table":
            table = self.storage.tables[logical]
            if not {"dynamodb:Query", "dynamodb:Scan"} & set(actions):
                return [table.table_arn]
            indexes = self.catalogue.table(logical).indexes
            return [table.table_arn, *[f"{table.table_arn}/index/{index.name}" for index in indexes]]
        if kind == "queue":
            return [self.messaging.queues[logical].queue_arn]
        if kind == "queue_family":
            return [family_arn(self, self.catalogue.queue_family(logical), self.functions.stage)]
        if kind == "bucket":
            bucket = self.storage.buckets[logical]
            return [bucket.bucket_arn, bucket.arn_for_objects("*")]
        if kind == "topic":
            return [self.messaging.topics[logical].topic_arn]
        if kind == "email":
            identity = self.catalogue.email_identity(logical)
            return [self.format_arn(service="ses", resource="identity", resource_name=identity.domain),
                    self.format_arn(service="ses", resource="configuration-set",
                                    resource_name=physical_name(identity.logical, self.functions.stage))]
        if kind == "sms":
            return [PHONE_NUMBERS_RESOURCE]  # the one "*" besides X-Ray's (infra/permissions.py)
        if kind == "user_pool":
            return [self.identity.user_pool.user_pool_arn]
        if kind == "key":
            return [self.keys[logical].key_arn]
        if kind == "secret":
            return [self.messaging.secrets[logical].secret_arn]
        raise ValueError(f"unknown resource kind {kind!r}")

    def _bind_staff_mfa_gate(self, function: str, pool) -> None:

        arn = self.functions.arn(function)
        self.identity.bind_pre_token_generation(arn)
        lambda_.CfnPermission(self, "StaffMfaGateInvoke", action="lambda:InvokeFunction", function_name=arn,
                              principal="cognito-idp.amazonaws.com",
                              source_arn=self.identity.user_pool.user_pool_arn,
                              source_account=cdk.Aws.ACCOUNT_ID)
        # The trigger reads the pool id from its event: naming the pool here would be a cycle.
        for pool_variable in (pool.env_id, pool.env_client_id, pool.env_domain):
            self.functions.resource(function).add_property_deletion_override(
                f"Environment.Variables.{pool_variable}")
