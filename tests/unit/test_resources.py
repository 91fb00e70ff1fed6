"""The catalogue is the one source of truth: its invariants, and its agreement with the app."""
from chalice.app import DynamoDBEventConfig, SQSEventConfig

from chalicelib.resources import CATALOGUE, physical_name, table_name_from_stream_arn


def test_every_queue_that_feeds_a_worker_has_a_dead_letter_queue_after_five_receives():
    for queue in CATALOGUE.queues:
        if queue.has_dead_letter_queue:
            assert queue.max_receive_count == 5, queue.logical
        assert queue.visibility_timeout_seconds >= 6 * 60  # six times a 60 s consumer timeout


def test_names_and_environment_variables_are_unique():
    names = [r.logical for group in (CATALOGUE.tables, CATALOGUE.queues, CATALOGUE.buckets, CATALOGUE.topics,
                                     CATALOGUE.keys) for r in group]
    assert len(names) == len(set(names))
    variables = [t.env_name for t in CATALOGUE.tables] + [q.env_url for q in CATALOGUE.queues] + \
        [q.env_dead_letter_url for q in CATALOGUE.queues] + [b.env_name for b in CATALOGUE.buckets]
    assert len(variables) == len(set(variables))


def test_every_event_source_of_the_app_is_a_catalogue_resource(app):
    queues = {physical_name(q.logical) for q in CATALOGUE.queues}
    tables = {physical_name(t.logical) for t in CATALOGUE.tables if t.stream_view}
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            assert source.queue in queues, source.name
        elif isinstance(source, DynamoDBEventConfig):
            assert table_name_from_stream_arn(source.stream_arn) in tables, source.name
            consumer = CATALOGUE.stream_consumer(source.name)
            assert consumer is not None and CATALOGUE.queue(consumer.on_failure_queue)


def test_declared_grants_name_functions_of_the_app_and_resources_of_the_catalogue(app):
    functions = set(app.handler_map) | {"api_handler"}
    kinds = {"table": CATALOGUE.table, "queue": CATALOGUE.queue, "bucket": CATALOGUE.bucket,
             "topic": CATALOGUE.topic, "email": CATALOGUE.email_identity, "user_pool": CATALOGUE.user_pool,
             "key": CATALOGUE.key, "secret": CATALOGUE.secret}
    for function, accesses in CATALOGUE.function_access.items():
        assert function in functions, f"{function} is not a function of the app"
        for access in accesses:
            assert kinds[access.kind](access.logical)  # raises KeyError when unknown
            assert all(":" in action and "*" not in action for action in access.actions), access


def test_retention_rules_and_the_upload_notification_cover_distinct_prefixes():
    bucket = CATALOGUE.bucket("documents")
    prefixes = [rule.prefix for rule in bucket.retention]
    assert len(prefixes) == len(set(prefixes)) and all(p.endswith("/") for p in prefixes)
    assert bucket.notify_prefix in prefixes  # uploads expire too
    assert CATALOGUE.queue(bucket.notify_queue).has_dead_letter_queue
