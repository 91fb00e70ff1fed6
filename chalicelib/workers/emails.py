"""Email worker: turns account and request events (relayed from the outbox) into emails sent through SES,
once per event even when a message is delivered twice; and the scheduled purge of accounts never
activated."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalice import Blueprint, Rate

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain import account_events, links, request_events
from chalicelib.domain.roles import AccountStatus
from chalicelib.resources import physical_name
from chalicelib.workers.schedule import out_of_time

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from chalicelib.domain.emails import Email
    from chalicelib.domain.events import OutboxEvent

blueprint = Blueprint(__name__)

SENT_MARKER_DAYS = 14  # longer than a message can live in the queue and its DLQ


def _link(page: str, purpose: links.LinkPurpose, nonce: str, **extra: str) -> str:
    from chalicelib.adapters import secrets

    token = links.link_token(secrets.hmac_key("links"), purpose, nonce)
    fragment = "&".join([f"jeton={token}", *[f"{k}={v}" for k, v in extra.items() if v]])
    return f"{settings.web_origin()}/{page}#{fragment}"


def email_for(event: "OutboxEvent") -> "Email | None":
    """The email an event calls for, or None when there is nothing (any more) to send."""
    from chalicelib.domain import emails

    accounts = wiring.accounts()
    repo = accounts.repo
    payload = event.payload
    if event.type == account_events.ACTIVATION_LINK:
        profile = repo.get_profile(payload["account_id"])
        if profile is None or profile.status != AccountStatus.PENDING:
            return None  # activated or purged meanwhile
        # The school filing for a candidate, or the one the account belongs to.
        school_id = payload.get("school_id") or profile.school_id
        school = repo.get_school(school_id) if school_id else None
        return emails.activation_email(
            to=profile.email, first_name=profile.first_names, kind=payload["kind"],
            link=_link("activation.html", links.LinkPurpose.ACTIVATION, payload["nonce"],
                       demande=payload.get("request_id", "")),
            deadline=datetime.fromisoformat(payload["deadline"]), school_name=school.company_name if school else None,
            inviter=payload.get("inviter"))
    if event.type == account_events.ACTIVATION_RESEND_REQUESTED:
        link = accounts.resend_activation(payload["email"], nonce=event.id)
        if link is None:
            return None
        profile = repo.get_profile(link.account_id)
        school = repo.get_school(str(link.data.get("school_id") or profile.school_id or "")) if profile else None
        return emails.activation_email(
            to=payload["email"], first_name=profile.first_names if profile else "", kind=str(link.data["kind"]),
            link=_link("activation.html", links.LinkPurpose.ACTIVATION, event.id,
                       demande=str(link.data.get("request_id", ""))),
            deadline=datetime.fromtimestamp(link.expires_at).astimezone(), inviter=link.data.get("inviter"),
            school_name=school.company_name if school else None)
    if event.type == account_events.PASSWORD_RESET_REQUESTED:
        prepared = accounts.prepare_password_reset(payload["email"], nonce=event.id)
        if prepared is None:
            return None
        profile, link = prepared
        if link is None:
            return emails.franceconnect_only_email(to=profile.email, first_name=profile.first_names,
                                                   link=f"{settings.web_origin()}/connexion.html")
        return emails.password_reset_email(
            to=profile.email, first_name=profile.first_names,
            link=_link("mot-de-passe.html", links.LinkPurpose.PASSWORD_RESET, event.id),
            deadline=datetime.fromtimestamp(link.expires_at).astimezone())
    if event.type == account_events.EMAIL_CHANGE_REQUESTED:
        profile = repo.get_profile(payload["account_id"])
        if profile is None or profile.status != AccountStatus.ACTIVE:
            return None
        return emails.email_change_email(
            to=payload["new_email"], first_name=profile.first_names,
            link=_link("confirmer-adresse.html", links.LinkPurpose.EMAIL_CHANGE, payload["nonce"]),
            deadline=datetime.fromisoformat(payload["deadline"]))
    if event.type == account_events.FRANCECONNECT_LINK_REQUESTED:
        profile = repo.get_profile(payload["account_id"])
        if profile is None or profile.status != AccountStatus.ACTIVE:
            return None
        return emails.franceconnect_link_email(
            to=profile.email, first_name=profile.first_names, identity=payload["name"],
            link=_link("franceconnect.html", links.LinkPurpose.FRANCECONNECT_LINK, payload["nonce"]),
            deadline=datetime.fromisoformat(payload["deadline"]))
    if event.type == account_events.EMAIL_CHANGED:
        return emails.email_changed_notice(to=payload["old_email"], first_name=payload["first_name"],
                                           new_email_masked=payload["new_email_masked"])
    if event.type == account_events.MEMBER_REMOVED:
        return emails.member_removed_notice(to=payload["email"], first_name=payload["first_name"],
                                            school_name=payload["school_name"])
    raise ValueError(f"no email for event type {event.type}")


def request_emails_for(event: "OutboxEvent") -> list["Email"]:
    """The emails a request's event calls for (the candidate's validation, its reminder and expiry,
    a transfer), read from the request as it is now: nothing when it moved on meanwhile."""
    from chalicelib.domain import emails
    from chalicelib.domain.procedures import RequestStatus

    request = wiring.requests_repository().get(event.payload["request_id"])
    if request is None:
        return []
    repo = wiring.accounts_repository()
    request_link = f"{settings.web_origin()}/demande.html#id={request.request_id}"
    validate_link = f"{settings.web_origin()}/valider.html#demande={request.request_id}"
    if event.type in (request_events.VALIDATION_ASKED, request_events.VALIDATION_REMINDER):
        candidate = repo.get_profile(request.candidate_account_id or "")
        if (candidate is None or request.status is not RequestStatus.AWAITING_CANDIDATE_VALIDATION
                or request.validation_deadline is None):
            return []  # validated, taken back or expired meanwhile
        if event.type == request_events.VALIDATION_ASKED:
            return [emails.validation_asked_email(
                to=candidate.email, first_name=candidate.first_names, school_name=request.school_name or "",
                procedure_label=request.procedure_label, request_id=request.request_id, link=validate_link,
                deadline=request.validation_deadline, account_pending=candidate.status == AccountStatus.PENDING)]
        return [emails.validation_reminder_email(
            to=candidate.email, first_name=candidate.first_names, school_name=request.school_name or "",
            request_id=request.request_id, link=validate_link, deadline=request.validation_deadline)]
    if event.type == request_events.EXPIRED:
        filer = repo.get_profile(request.created_by)
        if filer is None or filer.status != AccountStatus.ACTIVE or request.status is not RequestStatus.EXPIRED:
            return []
        return [emails.validation_expired_email(to=filer.email, first_name=filer.first_names,
                                                candidate_name=request.candidate_name(),
                                                request_id=request.request_id, link=request_link)]
    if event.type == request_events.TRANSFERRED:
        sent = []
        for school_id, former in ((event.payload["former_school_id"], True), (event.payload["new_school_id"], False)):
            school = repo.get_school(school_id)
            admin = repo.get_profile(school.admin_account_id) if school else None
            if admin is not None and admin.status == AccountStatus.ACTIVE:
                sent.append(emails.request_transferred_email(
                    to=admin.email, first_name=admin.first_names, request_id=request.request_id,
                    candidate_name=request.candidate_name(), new_school=str(event.payload.get("new_school_name")
                                                                            or request.school_name),
                    former=former, link=None if former else request_link))
        return sent
    raise ValueError(f"no email for event type {event.type}")


def support_answer_for(event: "OutboxEvent") -> "Email | None":
    """The support desk's answer, as stored (the event carries no personal data)."""
    from chalicelib.domain import emails

    ticket = wiring.support_repository().get(event.payload["ticket_id"])
    if ticket is None or ticket.answer is None:
        return None
    return emails.support_answer_email(
        to=ticket.email, ticket_id=ticket.ticket_id, subject=ticket.subject, answer=ticket.answer,
        link=f"{settings.web_origin()}/contact.html" if ticket.account_id else None)


def emails_for(event: "OutboxEvent") -> list["Email"]:
    from chalicelib.domain import support_events

    if event.type == support_events.TICKET_ANSWERED:
        answer = support_answer_for(event)
        return [answer] if answer is not None else []
    if event.type in request_events.EMAILED:
        return request_emails_for(event)
    if event.type.startswith("appointment."):  # issue 9: bookings' confirmations, reminders, cancellations
        from chalicelib.workers.appointments import appointment_emails_for

        return appointment_emails_for(event)
    email = email_for(event)
    return [email] if email is not None else []


def send_for(event: "OutboxEvent") -> None:
    """An event's emails are sent once, even when its message is delivered twice. An event with
    several recipients also marks each one sent, so a retry after a failure skips those done."""
    repo = wiring.accounts_repository()
    if repo.email_already_sent(event.id):
        return  # a replayed message: the emails went already
    expires = int((event.occurred_at + timedelta(days=SENT_MARKER_DAYS)).timestamp())
    to_send = emails_for(event)
    for number, email in enumerate(to_send):
        marker = f"{event.id}#{number}"
        if len(to_send) > 1 and repo.email_already_sent(marker):
            continue
        wiring.mailer().send(email)
        if len(to_send) > 1:
            repo.mark_email_sent(marker, expires)
    repo.mark_email_sent(event.id, expires)


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    send_for(event_from_message_body(record.body))


@blueprint.on_sqs_message(queue=physical_name("emails"), batch_size=10)
def send_emails(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)


@blueprint.schedule(Rate(1, unit=Rate.HOURS))
def purge_unactivated_accounts(event):
    """Accounts not activated within 7 days are deleted and release their email and agrément."""
    return {"purged": wiring.accounts().purge_unactivated(out_of_time(event))}

