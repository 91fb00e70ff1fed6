from datetime import UTC, datetime

import pytest

from chalicelib.domain import demo
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.services import demo as service
from tests.fakes import FakeDemoRepository

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_submitting_stores_the_message_and_its_event_together():
    repository = FakeDemoRepository()
    message = service.submit_message(repository, "Bonjour", now=lambda: NOW)
    assert repository.get(message.id).status is demo.DemoStatus.RECEIVED
    assert [(e.type, e.aggregate_id) for e in repository.events] == [(service.MESSAGE_RECEIVED, message.id)]
    assert message.status_label == "Reçu"


def test_processing_marks_processed_and_bumps_the_version():
    repository = FakeDemoRepository()
    message = service.submit_message(repository, "Bonjour", now=lambda: NOW)
    result = service.process_message(repository, message.id, now=lambda: NOW)
    assert (result.status, result.status_label, result.version, result.processed_at) == (
        demo.DemoStatus.PROCESSED, "Traité", 2, NOW)


def test_processing_twice_is_harmless():
    repository = FakeDemoRepository()
    message = service.submit_message(repository, "Bonjour")
    first = service.process_message(repository, message.id)
    again = service.process_message(repository, message.id)
    assert again == first and again.version == 2


def test_a_poison_message_is_refused_every_time():
    repository = FakeDemoRepository()
    message = service.submit_message(repository, "du POISON ici")
    for _ in range(2):
        with pytest.raises(demo.DemoProcessingRefused):
            service.process_message(repository, message.id)
    assert repository.get(message.id).status is demo.DemoStatus.RECEIVED


def test_a_change_made_meanwhile_is_a_conflict():
    repository = FakeDemoRepository()
    message = service.submit_message(repository, "Bonjour")
    original_get = repository.get

    def stale_get(message_id):  # another worker processes it between our read and our write
        stale = original_get(message_id)
        repository.messages[message_id] = stale.model_copy(update={"version": 5})
        return stale

    repository.get = stale_get
    with pytest.raises(Conflict) as refused:
        service.process_message(repository, message.id)
    assert refused.value.code == "demo_message_changed"


def test_an_unknown_message_is_not_found_with_a_french_message():
    with pytest.raises(NotFound) as refused:
        service.get_message(FakeDemoRepository(), "inconnu")
    assert refused.value.code == "demo_message_not_found"
    assert "n'existe pas" in refused.value.message
