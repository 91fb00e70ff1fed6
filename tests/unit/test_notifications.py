"""The French content of the notifications and alerts, and the subscription's pure rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import alerts, request_events
from chalicelib.domain.accounts import normalize_mobile_phone
from chalicelib.domain.alerts import Channel, Subscription, SubscriptionStatus
from chalicelib.domain.errors import DomainError
from chalicelib.domain.notifications import (NOTIFIED, SMS_MAX, Situation, confirmation_email, confirmation_sms,
                                             message_notice, notice_email, notice_for, notice_sms)

NUMBER = "270312345678"
UNSUBSCRIBE = "https://permis-en-ligne.example.fr/desabonnement.html#jeton=" + "A" * 43
SITUATION = Situation(request_id=NUMBER, procedure_label="Inscription à l'examen du permis de conduire")
LICENCE = [({"status": "titre-en-production"}, "fabrication"),
           ({"status": "titre-expedie", "tracking_number": "1A00123456789"}, "1A00123456789"),
           ({"status": "disponible-bureau-de-poste", "collect_by": "2027-03-18"}, "18/03/2027"),
           ({"status": "retourne", "resend_until": "2027-09-18T00:00:00+00:00"}, "18/09/2027"),
           ({"status": "titre-remis"}, "remis"),
           ({"status": "detruit"}, "nouvelle demande")]


def every_notice():
    yield request_events.APPROVED, Situation(**{**SITUATION.__dict__, "is_registration": True, "neph": "920123456789"})
    yield request_events.COMPLEMENT_REQUESTED, Situation(**{**SITUATION.__dict__, "reason": "Photo floue.",
                                                            "documents": ("Justificatif d'identité",)})
    yield request_events.REJECTED, Situation(**{**SITUATION.__dict__, "reason": "Doublon."})
    yield request_events.CEPC_ISSUED, Situation(**{**SITUATION.__dict__, "payload": {
        "category": "B", "valid_until": "2027-07-01", "production_request_id": "270300000001"}})
    for payload, _ in LICENCE:
        yield request_events.LICENCE_MOVED, Situation(**{**SITUATION.__dict__, "payload": payload})
    yield request_events.DESTRUCTION_WARNING, Situation(**{**SITUATION.__dict__,
                                                           "payload": {"destroy_on": "2027-09-18"}})


def test_every_notified_event_has_a_notice_naming_the_request():
    seen = set()
    for event_type, situation in every_notice():
        notice = notice_for(event_type, situation)
        assert notice is not None, event_type
        assert NUMBER in notice.subject or NUMBER in " ".join(notice.paragraphs)
        assert NUMBER in notice.sms and len(notice.sms) < SMS_MAX, notice.sms
        seen.add(event_type)
    assert seen == set(NOTIFIED)


def test_a_message_notice_says_who_wrote_and_where_to_read_it_never_what():
    notice = message_notice(NUMBER, "DDT-69 (Claire)")
    assert NUMBER in notice.subject and "nouveau message" in notice.subject
    assert notice.paragraphs[0] == f"DDT-69 (Claire) a écrit un message sur la demande n° {NUMBER}."
    assert "n'est pas recopié" in notice.paragraphs[1]
    assert NUMBER in notice.sms and len(notice.sms) < SMS_MAX
    email = notice_email(notice, to="ecole@example.fr", first_name="Marie",
                         link=f"https://permis.example.fr/demande.html#id={NUMBER}&fil=messages")
    assert "Bonjour Marie," in email.text and f"#id={NUMBER}&fil=messages" in email.text


def test_the_validation_of_a_registration_says_the_neph_is_issued():
    event_type, situation = next(every_notice())
    notice = notice_for(event_type, situation)
    assert "NEPH" in notice.subject and "920123456789" in " ".join(notice.paragraphs) and "920123456789" in notice.sms
    plain = notice_for(request_events.APPROVED, SITUATION)  # a production request: no NEPH to give
    assert "NEPH" not in plain.subject + " ".join(plain.paragraphs)


def test_a_complement_and_a_rejection_carry_their_reasons_and_the_documents_to_replace():
    complement = notice_for(request_events.COMPLEMENT_REQUESTED, Situation(**{
        **SITUATION.__dict__, "reason": "Le justificatif de domicile a plus de 6 mois.",
        "documents": ("Justificatif de domicile de moins de 6 mois",)}))
    text = " ".join(complement.paragraphs)
    assert "Le justificatif de domicile a plus de 6 mois." in text
    assert "Pièces à remplacer : Justificatif de domicile de moins de 6 mois." in text
    rejection = notice_for(request_events.REJECTED, Situation(**{**SITUATION.__dict__, "reason": "Doublon."}))
    assert "Motif : Doublon." in rejection.paragraphs


@pytest.mark.parametrize("payload,expected", LICENCE)
def test_each_step_of_the_licence_s_way_says_what_matters(payload, expected):
    notice = notice_for(request_events.LICENCE_MOVED, Situation(**{**SITUATION.__dict__, "payload": payload}))
    email = notice_email(notice, to="a@example.fr")
    assert expected in email.text and expected in email.html
    if expected[0].isdigit():  # the tracking number, the dates: in the SMS too
        assert expected in notice.sms


def test_a_licence_status_without_message_or_unknown_gives_none():
    assert notice_for(request_events.LICENCE_MOVED, Situation(**{**SITUATION.__dict__, "payload": {
        "status": "brouillon"}})) is None
    assert notice_for(request_events.LICENCE_MOVED, Situation(**{**SITUATION.__dict__, "payload": {
        "status": "inconnu"}})) is None
    assert notice_for("request.submitted", SITUATION) is None


def test_every_alert_carries_the_unsubscribe_link_and_the_service_s_own_notices_do_not():
    for event_type, situation in every_notice():
        notice = notice_for(event_type, situation)
        alert = notice_email(notice, to="a@example.fr", unsubscribe_link=UNSUBSCRIBE)
        assert UNSUBSCRIBE in alert.text and UNSUBSCRIBE in alert.html
        assert UNSUBSCRIBE in notice_sms(notice, to="+33612345678", unsubscribe_link=UNSUBSCRIBE).text
        own = notice_email(notice, to="a@example.fr", first_name="Testun", link="https://x/demande.html#id=1")
        assert "desabonnement" not in own.text and own.text.startswith("Bonjour Testun,")
        assert "Voir la demande : https://x/demande.html#id=1" in own.text


def test_the_confirmation_code_is_in_the_email_and_a_one_part_sms():
    email = confirmation_email(to="a@example.fr", request_id=NUMBER, code="042517", minutes=15)
    assert "042517" in email.text and NUMBER in email.subject and "15 minutes" in email.text
    sms = confirmation_sms(to="+33612345678", request_id=NUMBER, code="042517", minutes=15)
    assert "042517" in sms.text and len(sms.text) <= SMS_MAX


# --- phone numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,e164", [("06 12 34 56 78", "+33612345678"), ("07.12.34.56.78", "+33712345678"),
                                        ("0033 6 12 34 56 78", "+33612345678"), ("+33 6 12 34 56 78", "+33612345678"),
                                        ("0692 12 34 56", "+262692123456"), ("0696 12 34 56", "+596696123456"),
                                        ("+32 470 12 34 56", "+32470123456")])
def test_mobile_numbers_are_normalised_to_e164(typed, e164):
    assert normalize_mobile_phone(typed) == e164


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "06 12 34 56", "+33 1 23 45 67 89", "bonjour", ""])
def test_numbers_that_are_not_mobiles_are_refused_in_french(typed):
    with pytest.raises(ValueError, match="numéro de téléphone portable n'est pas valide"):
        normalize_mobile_phone(typed)


def test_the_target_normalises_its_address_or_names_the_field():
    target = alerts.AlertTarget(request_id=NUMBER, channel="email", address=" Mamie@Example.FR ")
    assert target.normalized_address() == "mamie@example.fr"
    with pytest.raises(alerts.InvalidInput) as refused:
        alerts.AlertTarget(request_id=NUMBER, channel="sms", address="0123").normalized_address()
    assert refused.value.details[0].field == "address"


# --- codes -----------------------------------------------------------------------------------------

KEY = b"k" * 32
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=timezone.utc)


def pending(code="123456", **changes) -> Subscription:
    return Subscription(**{"request_id": NUMBER, "channel": Channel.EMAIL, "address": "a@example.fr",
                           "status": SubscriptionStatus.PENDING, "subscription_id": "s",
                           "code_hash": alerts.code_hash(KEY, NUMBER, Channel.EMAIL, "a@example.fr", code),
                           "code_expires_at": NOW + timedelta(minutes=15), "created_at": NOW, **changes})


def expected(code: str) -> str:
    return alerts.code_hash(KEY, NUMBER, Channel.EMAIL, "a@example.fr", code)


def test_a_code_is_six_digits_derived_from_its_nonce_and_bound_to_its_address():
    code = alerts.code_for(KEY, "nonce")
    assert len(code) == 6 and code.isdigit() and code == alerts.code_for(KEY, "nonce")
    assert alerts.code_for(KEY, "other") != code or alerts.code_for(KEY, "third") != code
    assert alerts.code_hash(KEY, NUMBER, "email", "a@example.fr", code) != \
        alerts.code_hash(KEY, NUMBER, "email", "b@example.fr", code)


def test_check_code_confirms_refuses_and_counts():
    assert alerts.check_code(pending(), expected("123456"), NOW) == "confirm"
    for subscription, code, now, refusal in (
            (None, "123456", NOW, "alert_code_wrong"),
            (pending(), "654321", NOW, "alert_code_wrong"),
            (pending(), "123456", NOW + timedelta(minutes=15), "alert_code_expired"),
            (pending(attempts=alerts.MAX_CODE_ATTEMPTS), "123456", NOW, "alert_code_attempts_exceeded"),
            (pending(status=SubscriptionStatus.UNSUBSCRIBED), "123456", NOW, "alert_code_wrong")):
        with pytest.raises(DomainError) as refused:
            alerts.check_code(subscription, expected(code), now)
        assert refused.value.code == refusal
    assert alerts.check_code(pending(status=SubscriptionStatus.ACTIVE), expected("123456"), NOW) == "already_active"
