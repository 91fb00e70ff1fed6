"""The licence's way from the printer to the candidate (production requests), as pure rules: the
partners' signed events (canonical string and signature check, replay window, who may send what),
how an event moves a licence (out of order, skipping steps), and the time-based steps (15 days at
the post office, 6 months to ask for a resend, the warning before destruction).

The licence's reference for partners is the production request's number."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from chalicelib.domain.base import Model
from chalicelib.domain.dates import add_months
from chalicelib.domain.errors import Conflict, ErrorDetail, Forbidden, InvalidInput, Unauthenticated
from chalicelib.domain.procedures import (POST_OFFICE_HOLD_DAYS, RESEND_REQUEST_MONTHS, STATUS_LABELS,
                                          RequestStatus)

S = RequestStatus

REPLAY_WINDOW_SECONDS = 5 * 60  # a signed request older (or further ahead) than this is refused
FUTURE_EVENT_TOLERANCE = timedelta(minutes=5)  # partners' clocks drift a little
DESTRUCTION_WARNING_DAYS = 15  # the filer is warned this long before the licence is destroyed

# Headers of a partner's request.
PARTNER_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Partner", "X-Timestamp", "X-Signature"


class Partner(StrEnum):
    PRINTER = "imprimerie-nationale"
    POST = "la-poste"


PARTNER_LABELS = {Partner.PRINTER: "Imprimerie nationale", Partner.POST: "La Poste"}


def secret_logical(partner: Partner) -> str:
    """The catalogue Secret holding the partner's key (one key per partner)."""
    return f"partner-{partner.value}"


class PartnerEventKind(StrEnum):
    SHIPPED = "expedie"  # the printer posted it (registered letter): tracking number
    NOTICE = "avise"  # not delivered: waits at the post office (name), 15 days to collect it
    DELIVERED = "remis"  # handed to its holder
    RETURNED = "retourne"  # not collected: back to the printer, resend possible for 6 months


# Who may send what.
MAY_SEND: dict[Partner, frozenset[PartnerEventKind]] = {
    Partner.PRINTER: frozenset({PartnerEventKind.SHIPPED}),
    Partner.POST: frozenset({PartnerEventKind.NOTICE, PartnerEventKind.DELIVERED, PartnerEventKind.RETURNED}),
}

TARGET: dict[PartnerEventKind, RequestStatus] = {
    PartnerEventKind.SHIPPED: S.SHIPPED, PartnerEventKind.NOTICE: S.AT_POST_OFFICE,
    PartnerEventKind.DELIVERED: S.DELIVERED, PartnerEventKind.RETURNED: S.RETURNED,
}

# The way of a licence once printed; RETURNED -> SHIPPED only once its resend is asked for.
SHIPMENT_MOVES: dict[RequestStatus, tuple[RequestStatus, ...]] = {
    S.IN_PRODUCTION: (S.SHIPPED,),
    S.SHIPPED: (S.DELIVERED, S.AT_POST_OFFICE),
    S.AT_POST_OFFICE: (S.DELIVERED, S.RETURNED),
    S.RETURNED: (S.SHIPPED,),
}


def _path(start: RequestStatus, target: RequestStatus, resend_requested: bool) -> tuple[RequestStatus, ...] | None:
    """The shortest way from `start` to `target` (the statuses after `start`), None if there is none."""
    ways: dict[RequestStatus, tuple[RequestStatus, ...]] = {start: ()}
    frontier = [start]
    while frontier:
        status = frontier.pop(0)
        if status is S.RETURNED and not resend_requested:
            continue
        for following in SHIPMENT_MOVES.get(status, ()):
            if following not in ways:
                ways[following] = (*ways[status], following)
                frontier.append(following)
    return ways.get(target) if target is not start else None


# --- the signature ---------------------------------------------------------------------------

def canonical_string(timestamp: str, method: str, path: str, body: bytes) -> str:
    """What a partner signs: four lines joined by "\\n", without a final newline:
    the X-Timestamp header as sent (Unix time in seconds), the HTTP method in capitals, the path
    (without host or query string), and the lowercase hex SHA-256 of the exact body bytes."""
    return "\n".join((timestamp, method.upper(), path, hashlib.sha256(body).hexdigest()))


def sign(key: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The X-Signature header: lowercase hex HMAC-SHA256 of the canonical string with the partner's key."""
    return hmac.new(key, canonical_string(timestamp, method, path, body).encode(), hashlib.sha256).hexdigest()


def missing_headers(headers: dict[str, str | None]) -> list[ErrorDetail]:
    return [ErrorDetail(f"En-tête {name} obligatoire (voir la description de la route).", field=name,
                        code="header_missing")
            for name in (PARTNER_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not headers.get(name)]


def partner_named(name: str) -> Partner:
    """The partner of the X-Partner header; an unknown one is refused like a bad signature."""
    if name not in Partner._value2member_map_:
        raise BAD_SIGNATURE
    return Partner(name)


def check_timestamp(timestamp: str, now: datetime) -> None:
    if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise Unauthenticated("timestamp_out_of_window", f"L'horodatage X-Timestamp doit être l'heure Unix en secondes "
                              f"au moment de l'envoi, à {REPLAY_WINDOW_SECONDS // 60} minutes près : vérifiez l'horloge "
                              "de l'émetteur et signez de nouveau.")


def check_signature(key: bytes, signature: str, timestamp: str, method: str, path: str, body: bytes) -> None:
    if not hmac.compare_digest(sign(key, timestamp, method, path, body), signature.strip().lower()):
        raise BAD_SIGNATURE


BAD_SIGNATURE = Unauthenticated(
    "signature_invalid", "Partenaire inconnu ou signature invalide : signez la requête avec la clé de votre "
    "partenariat (HMAC-SHA256 de la chaîne canonique décrite dans la documentation de la route).")


# --- the event -------------------------------------------------------------------------------

class PartnerEventInput(Model):
    """One event about one licence, as a partner sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str = Field(pattern=r"^[A-Za-z0-9_\-:.]{8,100}$",
                          description="Identifiant unique de l'événement chez le partenaire (8 à 100 caractères) : "
                                      "un identifiant déjà reçu de ce partenaire est refusé (409 event_replayed)")
    reference: str = Field(pattern=r"^[0-9]{12}$", description="Référence du titre : le numéro de la demande de "
                                                               "fabrication (12 chiffres)")
    event: PartnerEventKind = Field(description="expedie (Imprimerie nationale), avise, remis ou retourne (La Poste)")
    occurred_at: datetime = Field(description="Quand l'événement a eu lieu (ISO 8601 avec fuseau)")
    tracking_number: str | None = Field(default=None, min_length=4, max_length=40,
                                        description="Numéro de suivi de la lettre recommandée (expedie)")
    post_office: str | None = Field(default=None, min_length=2, max_length=120,
                                    description="Bureau de poste où retirer le titre (avise)")

    @model_validator(mode="after")
    def _complete(self) -> "PartnerEventInput":
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at doit indiquer son fuseau horaire (par exemple 2026-12-01T10:00:00+01:00).")
        if self.event is PartnerEventKind.SHIPPED and not self.tracking_number:
            raise ValueError("Un événement expedie indique le numéro de suivi (tracking_number).")
        if self.event is PartnerEventKind.NOTICE and not self.post_office:
            raise ValueError("Un événement avise indique le bureau de poste (post_office).")
        return self


def check_may_send(partner: Partner, kind: PartnerEventKind) -> None:
    if kind not in MAY_SEND[partner]:
        allowed = ", ".join(sorted(k.value for k in MAY_SEND[partner]))
        raise Forbidden("event_not_allowed_for_partner", f"{PARTNER_LABELS[partner]} n'envoie pas d'événement "
                        f"« {kind.value} » : ses événements sont {allowed}.")


def check_not_in_future(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + FUTURE_EVENT_TOLERANCE:
        raise InvalidInput("validation_failed", "Certaines informations sont à corriger : le détail est indiqué "
                           "pour chaque champ.", [ErrorDetail("occurred_at est dans le futur : indiquez quand "
                                                         "l'événement a eu lieu.", field="occurred_at",
                                                         code="occurred_in_future")])


class Plan(Model):
    """What an event does to a licence: the statuses it moves through (empty: acknowledged only)."""

    model_config = ConfigDict(frozen=True)

    chain: tuple[RequestStatus, ...]
    outcome: Literal["applied", "late", "already"]


def plan(current: RequestStatus, kind: PartnerEventKind, occurred_at: datetime, last_event_at: datetime | None,
         resend_requested: bool) -> Plan:
    """How `kind` moves a licence now at `current`.

    - older than the last event applied: acknowledged ("late"), the status never goes back;
    - the status it names already: acknowledged ("already", the same fact told twice);
    - ahead on the way of the shipment: moves through the steps it implies ("applied");
    - a returned licence whose resend was asked starts a new shipment;
    - anything else is refused (409 with the current status)."""
    if last_event_at is not None and occurred_at < last_event_at:
        return Plan(chain=(), outcome="late")
    target = TARGET[kind]
    if current is target:
        return Plan(chain=(), outcome="already")
    chain = _path(current, target, resend_requested)
    if chain is None:
        raise status_refuses(current, kind)
    return Plan(chain=chain, outcome="applied")


def status_refuses(current: RequestStatus, kind: PartnerEventKind) -> Conflict:
    label = STATUS_LABELS[current]
    hint = " Le renvoi n'a pas été demandé." if current is S.RETURNED and kind is PartnerEventKind.SHIPPED else ""
    return Conflict("event_not_allowed_now", f"Le titre est au statut « {label} » : l'événement « {kind.value} » "
                    f"ne s'y applique pas.{hint}", current={"status": current.value, "status_label": label})


# --- time-based steps --------------------------------------------------------------------------

def collect_by(noticed_at: datetime) -> datetime:
    return noticed_at + timedelta(days=POST_OFFICE_HOLD_DAYS)


def resend_until(returned_at: datetime) -> datetime:
    return add_months(returned_at, RESEND_REQUEST_MONTHS)


def warning_due(resend_deadline: datetime) -> datetime:
    return resend_deadline - timedelta(days=DESTRUCTION_WARNING_DAYS)


Step = Literal["return", "warn", "destroy"]


def due_at(status: RequestStatus, *, collect_deadline: datetime | None, resend_deadline: datetime | None,
           resend_requested: bool, warned: bool) -> datetime | None:
    """When the scheduled job next has something to do with this licence (None: nothing)."""
    if status is S.AT_POST_OFFICE:
        return collect_deadline
    if status is S.RETURNED and not resend_requested and resend_deadline is not None:
        return resend_deadline if warned else warning_due(resend_deadline)
    return None


def due_step(status: RequestStatus, now: datetime, *, collect_deadline: datetime | None,
             resend_deadline: datetime | None, resend_requested: bool, warned: bool) -> Step | None:
    """What the scheduled job does now: return an uncollected licence, warn once, destroy."""
    if status is S.AT_POST_OFFICE and collect_deadline is not None and now >= collect_deadline:
        return "return"
    if status is S.RETURNED and not resend_requested and resend_deadline is not None:
        if now >= resend_deadline:
            return "destroy"  # past the 6 months: destroyed, warned or not (a missed run warns no more)
        if not warned and now >= warning_due(resend_deadline):
            return "warn"
    return None


def check_resend(status: RequestStatus, now: datetime, resend_deadline: datetime | None,
                 resend_requested: bool) -> None:
    """Whether the filer may ask for a returned licence to be sent again now."""
    current = {"status": status.value, "status_label": STATUS_LABELS[status]}
    if status is S.DESTROYED or (status is S.RETURNED and resend_deadline is not None and now >= resend_deadline):
        raise Conflict("resend_too_late", f"Le permis est au statut « {STATUS_LABELS[status]} » : le délai de "
                       f"{RESEND_REQUEST_MONTHS} mois pour demander son renvoi est dépassé, le titre est détruit ; une "
                       "nouvelle demande de fabrication est nécessaire.",
                       current=current)
    if status is not S.RETURNED:
        raise Conflict("resend_not_possible", f"Le permis est au statut « {STATUS_LABELS[status]} » : seul un titre "
                       "« Retourné » (non retiré au bureau de poste) peut être renvoyé.", current=current)
    if resend_requested:
        raise Conflict("resend_already_requested", "Le renvoi du permis est déjà demandé : l'Imprimerie nationale "
                       "l'expédiera de nouveau.", current=current)
