"""The licence's way: the partners' signed events (Imprimerie nationale, La Poste) and the filer's
request for a returned licence to be sent again."""
from __future__ import annotations

import dataclasses

from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.http import ROUTE_DOCS, Routes, parse_body, route
from chalicelib.api.requests import FILERS, RequestView, VersionInput, view
from chalicelib.domain.accounts import Profile
from chalicelib.domain.base import Model
from chalicelib.domain.licence import REPLAY_WINDOW_SECONDS, PartnerEventInput

blueprint = Routes(__name__)
PARTNER_EVENTS_PATH = "/partenaires/evenements"


class PartnerAcknowledgement(Model):
    reference: str
    event_id: str
    outcome: str = Field(description="applied (le statut a changé), late (plus ancien que le dernier événement "
                                     "appliqué : enregistré, sans retour en arrière) ou already (le titre est déjà "
                                     "à ce statut : enregistré)")
    status: str
    status_label: str


@route(blueprint, PARTNER_EVENTS_PATH, method="POST", summary="Événement d'un partenaire sur un titre (signé HMAC)",
       tags=("partenaires",), response_model=PartnerAcknowledgement, errors=(401, 403, 404, 409, 422), roles=(),
       description=(
           "Pour l'Imprimerie nationale (expedie) et La Poste (avise, remis, retourne), sans session Cognito : chaque "
           "requête est signée avec la clé du partenaire. En-têtes : X-Partner (imprimerie-nationale ou la-poste), "
           "X-Timestamp (heure Unix en secondes), X-Signature (HMAC-SHA256 en hexadécimal minuscule, avec la clé "
           "du partenaire, de la chaîne canonique). Chaîne canonique : les quatre lignes suivantes jointes par "
           "\"\\n\", sans saut de ligne final : la valeur de X-Timestamp telle qu'envoyée, la méthode en capitales "
           f"(POST), le chemin ({PARTNER_EVENTS_PATH}), le SHA-256 en hexadécimal minuscule des octets exacts du "
           f"corps. Refus : en-têtes absents 422 ; partenaire inconnu ou signature invalide 401 signature_invalid ; "
           f"horodatage à plus de {REPLAY_WINDOW_SECONDS // 60} minutes 401 timestamp_out_of_window ; événement "
           "que le partenaire n'envoie pas 403 ; référence inconnue 404 ; identifiant d'événement déjà reçu 409 "
           "event_replayed ; événement que le statut n'admet pas 409 event_not_allowed_now (avec le statut). Un "
           "refus ne change rien. Un événement plus ancien que le dernier appliqué est enregistré sans faire "
           "reculer le statut ; un événement qui saute une étape (remis avant expedie) passe par les étapes "
           "qu'il implique."))
def partner_event() -> PartnerAcknowledgement:
    from chalicelib.domain.procedures import STATUS_LABELS

    request = blueprint.current_request
    raw = request.raw_body or b""
    service = wiring.licences_service()
    # The signature is checked before the body is even parsed.
    partner = service.authenticate({k.lower(): v for k, v in (request.headers or {}).items()}, request.method,
                                   PARTNER_EVENTS_PATH, raw)
    event = parse_body(raw, PartnerEventInput)
    done = service.receive(partner, event)  # type: ignore[arg-type]
    return PartnerAcknowledgement(reference=done.reference, event_id=done.event_id, outcome=done.outcome,
                                  status=done.status.value, status_label=STATUS_LABELS[done.status])


# The body is parsed by the view after the signature check, not by the decorator: documented here.
ROUTE_DOCS[(PARTNER_EVENTS_PATH, "POST")] = dataclasses.replace(ROUTE_DOCS[(PARTNER_EVENTS_PATH, "POST")],
                                                                 request_model=PartnerEventInput)


@route(blueprint, "/requests/{request_id}/licence/resend", method="POST",
       summary="Demander le renvoi d'un permis retourné (dans les 6 mois)", tags=("demandes",),
       request_model=VersionInput, response_model=RequestView, errors=(404, 409), roles=FILERS,
       description="Pour un titre « Retourné » (non retiré au bureau de poste) : l'Imprimerie nationale l'expédie de "
                   "nouveau et le titre n'est plus détruit. Après 6 mois : 409 resend_too_late (une nouvelle demande "
                   "est nécessaire) ; autre statut : 409 resend_not_possible.")
def request_resend(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    return view(caller, wiring.licences_service().request_resend(caller, request_id, body.version))
