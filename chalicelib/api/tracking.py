"""Public tracking, "Où en est mon permis de conduire ?": a request number and the anti-robot
proof give the request's status and its date, nothing personal. A draft (never sent) and an
unknown number get the same answer, so that a caller learns nothing from guessing numbers; the
route is rate limited like the other public forms, and each lookup costs a proof of work."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.base import Model
from chalicelib.domain.errors import NotFound

blueprint = Routes(__name__)
TAGS = ("suivi",)
UNKNOWN = NotFound("request_unknown", "Aucune demande déposée ne porte ce numéro : vérifiez les 12 chiffres (ils "
                   "figurent sur le récépissé de dépôt et dans les courriels reçus).")


class TrackingInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    request_id: str = Field(min_length=1, max_length=30, description="Numéro de la demande (12 chiffres)")
    altcha: str = Field(min_length=1, max_length=2000, description="Solution du défi anti-robot")


class TrackingAnswer(Model):
    request_id: str
    procedure_label: str
    status: str
    status_label: str = Field(description="Le nom du statut (« En attente de validation par le candidat » plutôt que "
                                          "« Attente validation usager »)")
    since: datetime = Field(description="Date à laquelle la demande a pris ce statut")
    explanation: str = Field(description="La prochaine étape : qui doit agir (« Au candidat : », « Rien à faire de "
                                         "votre part : »...) et ce qui se passe ensuite")


@route(blueprint, "/suivi", method="POST", summary="Où en est mon permis de conduire ?", tags=TAGS,
       request_model=TrackingInput, response_model=TrackingAnswer, errors=(404,), roles=PUBLIC,
       rate_limit="public",
       description="Avec le numéro de la demande et la vérification anti-robot : le statut et sa date, sans aucune "
                   "donnée personnelle. Un numéro inconnu et une demande pas encore déposée reçoivent la même réponse.")
def track(body: TrackingInput) -> TrackingAnswer:
    from chalicelib.api.accounts import _check_antirobot
    from chalicelib.domain.procedures import PROCEDURE_LABELS, Procedure, RequestStatus
    from chalicelib.domain.status_texts import Audience, next_step, status_label

    _check_antirobot(body.altcha)
    number = "".join(body.request_id.split())
    found = wiring.requests_repository().tracked(number) if number.isdigit() and len(number) == 12 else None
    if found is None or found["status"] == RequestStatus.DRAFT.value:
        raise UNKNOWN
    status, procedure = RequestStatus(found["status"]), Procedure(found["procedure"])
    return TrackingAnswer(request_id=number, procedure_label=PROCEDURE_LABELS[procedure],
                          status=status.value, status_label=status_label(status, Audience.PUBLIC),
                          since=found.get("status_since") or found["updated_at"],
                          explanation=next_step(status, Audience.PUBLIC, procedure))
