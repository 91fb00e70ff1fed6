"""The catalogue is the one source of truth: its invariants, and its agreement with the app."""
import pytest
from chalice.app import DynamoDBEventConfig, SQSEventConfig

from chalicelib.domain.geography import DEPARTEMENTS
from chalicelib.resources import CATALOGUE, QueueFamily, physical_name, table_name_from_stream_arn


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
    kinds = {"table": CATALOGUE.table, "queue": CATALOGUE.queue, "queue_family": CATALOGUE.queue_family,
             "bucket": CATALOGUE.bucket,
             "topic": CATALOGUE.topic, "email": CATALOGUE.email_identity, "user_pool": CATALOGUE.user_pool,
             "key": CATALOGUE.key, "secret": CATALOGUE.secret, "sms": CATALOGUE.sms_sender}
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


# --- queue families --------------------------------------------------------------------------------

FAMILY = QueueFamily("travail", members=("nord", "sud"))


def test_a_queue_family_names_three_queues_per_member():
    assert FAMILY.queue_logical("nord") == "travail-nord"
    assert FAMILY.queue_logical("nord", returning=True) == "travail-nord-retours"
    assert FAMILY.dead_letter_logical("nord") == "travail-nord-dlq"
    assert FAMILY.all_logicals() == ["travail-nord", "travail-nord-retours", "travail-nord-dlq",
                                     "travail-sud", "travail-sud-retours", "travail-sud-dlq"]
    assert FAMILY.all_logicals(("sud",)) == ["travail-sud", "travail-sud-retours", "travail-sud-dlq"]


def test_a_queue_family_refuses_a_member_it_does_not_have():
    for call in (lambda: FAMILY.queue_logical("est"), lambda: FAMILY.queue_logical("est", returning=True),
                 lambda: FAMILY.dead_letter_logical("est"), lambda: FAMILY.all_logicals(("nord", "est"))):
        with pytest.raises(KeyError, match="est"):
            call()


def test_the_physical_prefix_of_a_family_starts_every_name_of_the_family_and_of_no_other_queue():
    assert FAMILY.physical_prefix("dev") == "permis-dev-travail-"
    for family in (FAMILY, *CATALOGUE.queue_families):
        prefix = family.physical_prefix("dev")
        assert all(physical_name(logical, "dev").startswith(prefix) for logical in family.all_logicals())
        # IAM grants name the family by this prefix: no other queue of the stage may start with it.
        others = [q for queue in CATALOGUE.queues for q in (queue.logical, queue.dead_letter_logical)] + [
            logical for other in CATALOGUE.queue_families if other is not family for logical in other.all_logicals()]
        assert not [q for q in others if physical_name(q, "dev").startswith(prefix)]
        assert not physical_name("x", "prod").startswith(prefix)


def test_the_instruction_family_has_a_member_per_departement_and_the_cert():
    family = CATALOGUE.queue_family("instruction")
    assert set(family.members) == {f"ddt-{code.lower()}" for code in DEPARTEMENTS} | {"cert"}
    assert len(family.members) == len(set(family.members)) == len(DEPARTEMENTS) + 1
    assert {"ddt-69", "ddt-2a", "ddt-2b", "ddt-971", "cert"} <= set(family.members)
    # SQS: up to 80 characters, letters, digits, hyphens and underscores.
    names = [physical_name(logical, "prod") for logical in family.all_logicals()]
    assert max(len(name) for name in names) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "-_") for name in names for c in name)
    assert family.lease_seconds <= 12 * 3600  # SQS's maximum visibility timeout
    assert family.message_retention_seconds <= 14 * 24 * 3600


def test_sms_senders_have_a_name_phones_show():
    # SNS's SenderID: 1 to 11 letters and digits, at least one letter.
    for sender in CATALOGUE.sms_senders:
        assert 1 <= len(sender.sender_id) <= 11 and sender.sender_id.isalnum() and not sender.sender_id.isdigit()
        assert sender.sms_type in ("Transactional", "Promotional")
