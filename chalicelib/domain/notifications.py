"""The notifications of a request's steps and the alerts, in French: an email (text and HTML) and a
short SMS for each step that matters, and the alert confirmation code.

Pure: the notifications worker reads the request and the event's payload, and says who receives
it; this module says what they read. Every message to an alert subscriber carries the link that
stops the alerts (email and SMS alike); the candidate's and the school's own notifications are
part of the service and have none."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.domain import request_events
from chalicelib.domain.emails import Email, _render, _when
from chalicelib.domain.procedures import POST_OFFICE_HOLD_DAYS, RESEND_REQUEST_MONTHS, RequestStatus

SMS_PREFIX = "Permis en ligne"
SMS_MAX = 160  # one SMS (GSM alphabet); the text before the unsubscribe link stays under it

# Event types the notifications worker turns into messages (the relay sends them to its queue).
NOTIFIED = (request_events.APPROVED, request_events.COMPLEMENT_REQUESTED, request_events.REJECTED,
            request_events.CEPC_ISSUED, request_events.LICENCE_MOVED, request_events.DESTRUCTION_WARNING)


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    text: str


@dataclass(frozen=True)
class Situation:
    """What a notification says about the request, read from it as it is now and from the event."""

    request_id: str
    procedure_label: str
    is_registration: bool = False
    neph: str | None = None
    reason: str | None = None
    documents: tuple[str, ...] = ()  # labels of the documents to replace
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    subject: str
    paragraphs: tuple[str, ...]
    sms: str  # without the unsubscribe link


def _day(value: Any) -> str:
    """A date of the payload (an ISO date or date and time) as the French read it: 05/03/2027."""
    if isinstance(value, datetime):
        return _when(value).split(" à ")[0]
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "")
    try:
        return _day(datetime.fromisoformat(text)) if "T" in text else _day(date.fromisoformat(text))
    except ValueError:
        return text


def notice_for(event_type: str, situation: Situation) -> Notice | None:
    """The notice of an event, or None when it calls for none (a licence status without message)."""
    number = situation.request_id
    payload = situation.payload
    subject = f"Permis en ligne : votre demande n° {number}"
    if event_type == request_events.APPROVED:
        if situation.is_registration and situation.neph:
            return Notice(f"{subject} est validée, votre numéro NEPH est attribué", (
                f"La demande n° {number} (« {situation.procedure_label} ») a été validée.",
                f"Le numéro NEPH (numéro d'enregistrement préfectoral harmonisé) du candidat est {situation.neph} : "
                "il sert pour toutes les épreuves du permis de conduire. L'attestation d'inscription est "
                "disponible dans l'espace de la demande."),
                f"{SMS_PREFIX} : demande {number} validée. NEPH attribué : {situation.neph}.")
        return Notice(f"{subject} est validée", (
            f"La demande n° {number} (« {situation.procedure_label} ») a été validée.",),
            f"{SMS_PREFIX} : demande {number} validée.")
    if event_type == request_events.COMPLEMENT_REQUESTED:
        paragraphs = [f"L'instructeur demande un complément pour la demande n° {number} : "
                      f"{situation.reason or 'voir la demande.'}"]
        if situation.documents:
            paragraphs.append("Pièces à remplacer : " + " ; ".join(situation.documents) + ".")
        paragraphs.append("Remplacez-les depuis l'espace de la demande : l'instruction reprendra dès leur "
                          "vérification.")
        return Notice(f"{subject} : un complément est demandé", tuple(paragraphs),
                      f"{SMS_PREFIX} : complément demandé pour la demande {number}. Détails par courriel et dans "
                      "votre espace.")
    if event_type == request_events.REJECTED:
        return Notice(f"{subject} est rejetée", (
            f"La demande n° {number} (« {situation.procedure_label} ») a été rejetée.",
            f"Motif : {situation.reason or 'non précisé.'}",
            "Vous pouvez déposer une nouvelle demande qui tient compte de ce motif."),
            f"{SMS_PREFIX} : demande {number} rejetée. Motif par courriel et dans votre espace.")
    if event_type == request_events.CEPC_ISSUED:
        category = payload.get("category") or ""
        valid_until = _day(payload.get("valid_until"))
        paragraphs = [f"Le certificat d'examen du permis de conduire (CEPC) de la catégorie {category} est délivré "
                      f"(demande n° {number}). Il permet de conduire jusqu'au {valid_until}, le temps que le "
                      "permis soit fabriqué."]
        if payload.get("production_request_id"):
            paragraphs.append(f"La demande de fabrication du titre n° {payload['production_request_id']} est ouverte.")
        return Notice("Permis en ligne : votre certificat d'examen (CEPC) est délivré", tuple(paragraphs),
                      f"{SMS_PREFIX} : CEPC catégorie {category} délivré, valable jusqu'au {valid_until} "
                      f"(demande {number}).")
    if event_type == request_events.LICENCE_MOVED:
        return _licence_notice(number, payload)
    if event_type == request_events.DESTRUCTION_WARNING:
        destroy_on = _day(payload.get("destroy_on"))
        return Notice(f"{subject} : votre permis sera bientôt détruit", (
            f"Le permis de la demande n° {number} est revenu du bureau de poste sans avoir été retiré.",
            f"Demandez son renvoi avant le {destroy_on} : passé cette date, il sera détruit et une nouvelle "
            "demande sera nécessaire."),
            f"{SMS_PREFIX} : permis non retiré (demande {number}), détruit le {destroy_on} sauf demande de renvoi.")
    return None



def message_notice(number: str, author_label: str) -> Notice:
    """A new message on the request's thread. Its text stays in the service (a mailbox is read by
    others, a message may hold health or identity details): the email says who wrote and where."""
    return Notice(f"Permis en ligne : nouveau message sur la demande n° {number}", (
        f"{author_label} a écrit un message sur la demande n° {number}.",
        "Pour le lire et y répondre, ouvrez la demande : le message n'est pas recopié dans ce courriel."),
        f"{SMS_PREFIX} : nouveau message sur la demande {number}. À lire dans l'espace de la demande.")

def _licence_notice(number: str, payload: dict[str, Any]) -> Notice | None:
    try:
        status = RequestStatus(payload.get("status"))
    except ValueError:
        return None
    subject = f"Permis en ligne : votre permis (demande n° {number})"
    if status is RequestStatus.IN_PRODUCTION:
        return Notice(f"{subject} est en fabrication", (
            f"Le permis de la demande n° {number} est en cours de fabrication à l'Imprimerie nationale.",
            "Vous serez prévenu de son envoi."),
            f"{SMS_PREFIX} : votre permis (demande {number}) est en fabrication.")
    if status is RequestStatus.SHIPPED:
        tracking = payload.get("tracking_number") or ""
        return Notice(f"{subject} est expédié", (
            f"Le permis de la demande n° {number} a été envoyé au domicile par lettre recommandée.",
            f"Numéro de suivi : {tracking}."),
            f"{SMS_PREFIX} : votre permis (demande {number}) est expédié. Suivi : {tracking}.")
    if status is RequestStatus.AT_POST_OFFICE:
        collect_by = _day(payload.get("collect_by"))
        return Notice(f"{subject} vous attend au bureau de poste", (
            f"Le permis de la demande n° {number} n'a pas pu être remis : il attend au bureau de poste indiqué sur "
            f"l'avis de passage, pendant {POST_OFFICE_HOLD_DAYS} jours.",
            f"Retirez-le avant le {collect_by}, muni d'une pièce d'identité."),
            f"{SMS_PREFIX} : votre permis (demande {number}) est au bureau de poste, à retirer avant le {collect_by}.")
    if status is RequestStatus.RETURNED:
        resend_until = _day(payload.get("resend_until"))
        return Notice(f"{subject} n'a pas été retiré", (
            f"Le permis de la demande n° {number} n'a pas été retiré au bureau de poste.",
            f"Vous pouvez demander son renvoi pendant {RESEND_REQUEST_MONTHS} mois, jusqu'au {resend_until}. "
            "Passé ce délai, il sera détruit."),
            f"{SMS_PREFIX} : permis non retiré (demande {number}). Renvoi possible jusqu'au {resend_until}.")
    if status is RequestStatus.DELIVERED:
        return Notice(f"{subject} est remis", (
            f"Le permis de la demande n° {number} a été remis à son titulaire. Bonne route !",),
            f"{SMS_PREFIX} : votre permis (demande {number}) est remis. Bonne route !")
    if status is RequestStatus.DESTROYED:
        return Notice(f"{subject} a été détruit", (
            f"Le permis de la demande n° {number} n'a pas été réclamé dans les {RESEND_REQUEST_MONTHS} mois et a "
            "été détruit.",
            "Pour obtenir votre permis, déposez une nouvelle demande de fabrication."),
            f"{SMS_PREFIX} : permis détruit faute de retrait (demande {number}). Une nouvelle demande est nécessaire.")
    return None


# --- rendering, per recipient ---------------------------------------------------------------------

UNSUBSCRIBE_TEXT = "Vous recevez ce message parce que cette adresse est abonnée aux alertes de la demande."


def notice_email(notice: Notice, *, to: str, first_name: str | None = None, link: str | None = None,
                 unsubscribe_link: str | None = None) -> Email:
    """`link`: the request's page (its candidate and school); `unsubscribe_link`: an alert's."""
    after = [f"{UNSUBSCRIBE_TEXT} Pour ne plus les recevoir : {unsubscribe_link}"] if unsubscribe_link else []
    return _render(to, notice.subject, f"Bonjour {first_name}," if first_name else "Bonjour,", list(notice.paragraphs),
                   link, "Voir la demande" if link else None, after)


def notice_sms(notice: Notice, *, to: str, unsubscribe_link: str | None = None) -> Sms:
    return Sms(to=to, text=notice.sms + (f" Stop : {unsubscribe_link}" if unsubscribe_link else ""))


@dataclass(frozen=True)
class Letter:
    """A letter to post to a person without email nor mobile, for the mediator who filed their
    request: the mediator's page lists them to print ("courrier à envoyer")."""

    mediator_account_id: str
    request_id: str
    recipient: str
    address: str
    text: str
    at: datetime


def notice_letter(notice: Notice, *, recipient: str, address: str, structure: str | None, at: datetime,
                  mediator_account_id: str = "", request_id: str = "") -> Letter:
    signed = f"Votre médiateur numérique{f' ({structure})' if structure else ''} reste à votre disposition."
    text = "\n\n".join((f"Bonjour {recipient},", *notice.paragraphs, signed))
    return Letter(mediator_account_id=mediator_account_id, request_id=request_id, recipient=recipient,
                  address=address, text=f"{notice.subject}\n\n{text}", at=at)


def confirmation_email(*, to: str, request_id: str, code: str, minutes: int) -> Email:
    return _render(to, f"Permis en ligne : votre code pour suivre la demande n° {request_id}", "Bonjour,", [
        f"Pour recevoir à cette adresse les alertes de la demande n° {request_id}, saisissez ce code sur la page "
        f"d'abonnement : {code}",
        f"Il est valable {minutes} minutes."],
        after=["Vous n'avez rien demandé ? Ignorez ce courriel : sans ce code, aucune alerte ne sera envoyée."])


def confirmation_sms(*, to: str, request_id: str, code: str, minutes: int) -> Sms:
    return Sms(to=to, text=f"{SMS_PREFIX} : code {code} pour les alertes de la demande {request_id}, valable "
                           f"{minutes} min. Sans demande de votre part, ignorez ce SMS.")
