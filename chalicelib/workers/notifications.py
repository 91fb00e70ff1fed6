"""Notifications worker: the steps of a request that matter (validation, complement, rejection,
CEPC, the licence's way, its coming destruction) become emails to the candidate and the school and
alerts to the confirmed subscribers (email through SES, SMS through SNS); a request filed with a
digital mediator also tells the mediator, and the person without email by SMS or by a letter the
mediator posts; and the alert confirmation codes are sent.

Each recipient's message goes once: a marker per event and recipient (SENT#<event>#<channel>#<digest>,
expiring) is written after each send, so a message delivered twice or a batch retried after a
partial failure skips those already sent. A failing send raises: SQS delivers the message again,
then sets it aside in the dead-letter queue; the request's own transaction was committed long
before and never waits for this."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.resources import physical_name
from chalicelib.workers.emails import SENT_MARKER_DAYS  # the same markers, kept as long

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from chalicelib.domain import notifications
    from chalicelib.domain.emails import Email
    from chalicelib.domain.events import OutboxEvent
    from chalicelib.domain.notifications import Sms
    from chalicelib.domain.requests import Request

blueprint = Blueprint(__name__)


def event_types() -> tuple[str, ...]:
    # The domain modules alerts and notifications (their models: pydantic) are imported by this
    # worker's calls only, not by every function importing app.py: here and in the functions below.
    from chalicelib.domain import alerts, notifications

    return (*notifications.NOTIFIED, alerts.CONFIRMATION_REQUESTED, request_events.MESSAGE_POSTED)


def __getattr__(name: str):
    if name == "EVENT_TYPES":
        return event_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Outgoing:
    channel: str  # email, sms or courrier (a letter the mediator posts)
    address: str
    email: "Email | None" = None
    sms: "Sms | None" = None
    letter: "notifications.Letter | None" = None


def _minutes_left(expires_at: str, now: datetime) -> int:
    return max(1, int((datetime.fromisoformat(expires_at) - now).total_seconds() // 60))


def confirmation_for(event: "OutboxEvent") -> list[Outgoing]:
    """The code of a subscription still waiting for it (a newer code replaces an older one)."""
    from chalicelib.adapters import secrets
    from chalicelib.domain import alerts, notifications

    payload = event.payload
    subscription = wiring.alerts_repository().get(payload["request_id"], payload["channel"], payload["address"])
    key = secrets.hmac_key("alerts")
    code = alerts.code_for(key, payload["nonce"])
    if subscription is None or subscription.status is not alerts.SubscriptionStatus.PENDING or \
            subscription.code_hash != alerts.code_hash(key, subscription.request_id, subscription.channel,
                                                       subscription.address, code):
        return []
    minutes = _minutes_left(payload["expires_at"], event.occurred_at)
    if subscription.channel is alerts.Channel.EMAIL:
        return [Outgoing("email", subscription.address, email=notifications.confirmation_email(
            to=subscription.address, request_id=subscription.request_id, code=code, minutes=minutes))]
    return [Outgoing("sms", subscription.address, sms=notifications.confirmation_sms(
        to=subscription.address, request_id=subscription.request_id, code=code, minutes=minutes))]


def _moved_on(event: "OutboxEvent", request: "Request") -> bool:
    """A notice about a state the request has left already says nothing true any more."""
    from chalicelib.domain.procedures import RequestStatus

    if event.type == request_events.COMPLEMENT_REQUESTED:
        return request.status is not RequestStatus.MORE_INFORMATION_REQUESTED
    if event.type == request_events.LICENCE_MOVED:
        return request.status.value != event.payload.get("status")
    if event.type == request_events.DESTRUCTION_WARNING:
        return request.status is not RequestStatus.RETURNED
    return False


def situation_of(event: "OutboxEvent", request: "Request") -> notifications.Situation:
    from chalicelib.domain import notifications
    from chalicelib.domain.procedures import REGISTRATION_PROCEDURES
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType

    return notifications.Situation(
        request_id=request.request_id, procedure_label=request.procedure_label,
        is_registration=request.procedure in REGISTRATION_PROCEDURES,
        neph=event.payload.get("neph") or request.neph, reason=event.payload.get("reason"),
        documents=tuple(DOCUMENT_LABELS[DocumentType(d)] for d in request.complement_documents),
        payload=event.payload)


def own_recipients(request: "Request") -> list[tuple[str, str | None, bool]]:
    """(email, first name, has an account) of the candidate and of the school: the candidate's
    account email when they have one, else the contact step's; the school's filer while they are
    still a member, else its administrator."""
    from chalicelib.domain.accounts import AccountStatus

    repo = wiring.accounts_repository()
    found: list[tuple[str, str | None, bool]] = []
    account_id = request.candidate_account_id or request.owner_account_id
    candidate = repo.get_profile(account_id) if account_id else None
    if candidate is not None and candidate.status == AccountStatus.ACTIVE and candidate.email:
        found.append((candidate.email, candidate.first_names, True))
    else:
        contact = (request.steps.get("contact") or {}).get("email")
        first = ((request.steps.get("civil_status") or {}).get("first_names") or "").replace(",", " ").split()
        if contact:
            found.append((contact, first[0] if first else None, False))
    if request.school_id:
        filer = repo.get_profile(request.created_by)
        if filer is None or filer.status != AccountStatus.ACTIVE or filer.school_id != request.school_id:
            school = repo.get_school(request.school_id)
            filer = repo.get_profile(school.admin_account_id) if school else None
        if filer is not None and filer.status == AccountStatus.ACTIVE and filer.email:
            found.append((filer.email, filer.first_names, True))
    return found


def mediation_recipients(event: "OutboxEvent", request: "Request", notice: notifications.Notice,
                         page: str) -> list[Outgoing]:
    """A request filed with a digital mediator: the person without email hears by SMS (a mobile),
    otherwise by a letter the mediator prints and posts; the mediator gets the email with the
    link. The person with an email gets it as any candidate (own_recipients)."""
    from chalicelib.domain import notifications
    from chalicelib.domain.accounts import AccountStatus, AddressInput

    if not request.mediator_account_id:
        return []
    found: list[Outgoing] = []
    contact = request.steps.get("contact") or {}
    if not contact.get("email"):
        if contact.get("mobile_phone"):
            found.append(Outgoing("sms", contact["mobile_phone"],
                                  sms=notifications.notice_sms(notice, to=contact["mobile_phone"])))
        elif contact.get("address"):
            address = AddressInput.model_validate(contact["address"]).to_address()
            found.append(Outgoing("courrier", address.one_line(), letter=notifications.notice_letter(
                notice, recipient=request.candidate_name(), address=address.one_line(),
                structure=request.structure_name, at=event.occurred_at,
                mediator_account_id=request.mediator_account_id, request_id=request.request_id)))
    mediator = wiring.accounts_repository().get_profile(request.mediator_account_id)
    if mediator is not None and mediator.status == AccountStatus.ACTIVE and mediator.email:
        found.append(Outgoing("email", mediator.email, email=notifications.notice_email(
            notice, to=mediator.email, first_name=mediator.first_names, link=page)))
    return found


def message_notices(event: "OutboxEvent") -> list[Outgoing]:
    """A message on a request's thread: an email to each of the others of the thread who can read
    it (never its author, never the alert subscribers, who follow the statuses only). From the
    filing side, the agents who wrote on the thread, the one holding the request and the one who
    made its last decision (a complement asked); in every case
    the school's filer, the candidate with an account and the mediator."""
    from chalicelib.domain import notifications
    from chalicelib.domain.accounts import AccountStatus, Role
    from chalicelib.domain.instruction import may_instruct
    from chalicelib.domain.messages import Side, instruction_recipients

    instructors = (Role.INSTRUCTEUR_DDT, Role.INSTRUCTEUR_CERT)

    payload = event.payload
    request = wiring.requests_repository().get(payload["request_id"])
    thread = wiring.messages_repository().thread(payload["request_id"]) if request else []
    message = next((m for m in thread if m.message_id == payload["message_id"]), None)
    if request is None or message is None:
        return []  # purged with its request meanwhile
    notice = notifications.message_notice(request.request_id, message.author_label)
    accounts = wiring.accounts_repository()
    author = accounts.get_profile(message.author_account_id)
    outgoing: dict[tuple[str, str], Outgoing] = {}
    if message.side is Side.FILING:
        claim = wiring.instruction_records().get_claim(request.request_id)
        holder = claim.agent_id if claim is not None and claim.active(event.occurred_at) else None
        decider = next((row.actor_account_id for row in reversed(wiring.requests_repository().history(
            request.request_id)) if row.actor_role in instructors), None)
        console = f"{settings.web_origin()}/console.html#demande={request.request_id}"
        for agent_id in instruction_recipients(thread, holder, decider, message.author_account_id):
            agent = accounts.get_profile(agent_id)
            if agent is not None and agent.status == AccountStatus.ACTIVE and agent.email and \
                    may_instruct(agent.role.value, agent.departement, request.authority() or ""):
                outgoing.setdefault(("email", agent.email), Outgoing("email", agent.email, email=(
                    notifications.notice_email(notice, to=agent.email, first_name=agent.first_names, link=console))))
    # The filing side reads the thread in its account: a candidate without one (their school or
    # mediator speaks for them) is not sent to a page they cannot open.
    page = f"{settings.web_origin()}/demande.html#id={request.request_id}&fil=messages"
    readers = [(address, first_name) for address, first_name, has_account in own_recipients(request) if has_account]
    mediator = accounts.get_profile(request.mediator_account_id) if request.mediator_account_id else None
    if mediator is not None and mediator.status == AccountStatus.ACTIVE and mediator.email:
        readers.append((mediator.email, mediator.first_names))
    for address, first_name in readers:
        outgoing.setdefault(("email", address), Outgoing("email", address, email=notifications.notice_email(
            notice, to=address, first_name=first_name, link=page)))
    if author is not None:
        outgoing.pop(("email", author.email), None)
    return list(outgoing.values())


def notices_for(event: "OutboxEvent") -> list[Outgoing]:
    """Every message an event calls for, one per recipient (an address named twice gets one)."""
    from chalicelib.domain import alerts, notifications

    if event.type == alerts.CONFIRMATION_REQUESTED:
        return confirmation_for(event)
    if event.type == request_events.MESSAGE_POSTED:
        return message_notices(event)
    request = wiring.requests_repository().get(event.payload["request_id"])
    if request is None or _moved_on(event, request):
        return []
    notice = notifications.notice_for(event.type, situation_of(event, request))
    if notice is None:
        return []
    page = f"{settings.web_origin()}/demande.html#id={request.request_id}"
    outgoing: dict[tuple[str, str], Outgoing] = {}
    for message in mediation_recipients(event, request, notice, page):
        outgoing.setdefault((message.channel, message.address), message)
    for address, first_name, has_account in own_recipients(request):
        outgoing.setdefault(("email", address), Outgoing("email", address, email=notifications.notice_email(
            notice, to=address, first_name=first_name, link=page if has_account else None)))
    subscribers = [s for s in wiring.alerts_repository().of_request(request.request_id)
                   if s.status is alerts.SubscriptionStatus.ACTIVE]
    if subscribers:
        service = wiring.alerts()
        for subscription in subscribers:
            if (subscription.channel.value, subscription.address) in outgoing:
                continue
            unsubscribe = (f"{settings.web_origin()}/desabonnement.html#jeton="
                           f"{service.unsubscribe_token(subscription)}")
            if subscription.channel is alerts.Channel.EMAIL:
                message = Outgoing("email", subscription.address, email=notifications.notice_email(
                    notice, to=subscription.address, unsubscribe_link=unsubscribe))
            else:
                message = Outgoing("sms", subscription.address, sms=notifications.notice_sms(
                    notice, to=subscription.address, unsubscribe_link=unsubscribe))
            outgoing[(message.channel, message.address)] = message
    return list(outgoing.values())


def send_for(event: "OutboxEvent") -> None:
    from chalicelib.domain import alerts

    repo = wiring.accounts_repository()
    expires = int((event.occurred_at + timedelta(days=SENT_MARKER_DAYS)).timestamp())
    for message in notices_for(event):
        marker = f"{event.id}#{message.channel}#{alerts.address_digest(message.address)}"
        if repo.email_already_sent(marker):
            continue  # sent by an earlier delivery of this message
        if message.email is not None:
            wiring.mailer().send(message.email)
        elif message.sms is not None:
            wiring.sms().send(message.sms)
        elif message.letter is not None:  # recorded for the mediator to print (idempotent by event id)
            wiring.requests_repository().put_letter(message.letter, event.id)
        repo.mark_email_sent(marker, expires)


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    send_for(event_from_message_body(record.body))


@blueprint.on_sqs_message(queue=physical_name("notifications"), batch_size=10)
def send_notifications(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
