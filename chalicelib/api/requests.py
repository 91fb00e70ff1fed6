"""Filing a request: create the draft (step 1), save each step, read it, its summary, and the
list of one's requests (newest first, filters, cursor pages)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.http import parse_body, route
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.requests import SAVABLE_STEPS, ProcedureStep, Request, step_model

blueprint = Blueprint(__name__)
TAGS = ("demandes",)
FILERS = (Role.AUTO_ECOLE.value, Role.CANDIDAT.value)
PAGE_SIZES = range(1, 101)


class RequestView(Model):
    request_id: str
    procedure: str
    procedure_label: str
    mandate: str
    status: str
    status_label: str
    candidate_name: str
    created_at: datetime
    updated_at: datetime
    version: int
    steps: dict[str, dict[str, Any]]


class Problem(Model):
    field: str | None = None
    code: str | None = None
    message: str


class RequiredDocumentView(Model):
    document: str
    label: str
    reason: str


class Summary(Model):
    request: RequestView
    complete: bool
    missing: list[Problem]
    required_documents: list[RequiredDocumentView]


class RequestRow(Model):
    request_id: str
    procedure_label: str
    status: str
    status_label: str
    candidate_name: str
    created_at: datetime
    updated_at: datetime


class RequestPage(Model):
    requests: list[RequestRow]
    next_cursor: str | None


def view(request: Request) -> RequestView:
    return RequestView(request_id=request.request_id, procedure=request.procedure.value,
                       procedure_label=request.procedure_label, mandate=request.mandate.value,
                       status=request.status.value, status_label=request.status_label,
                       candidate_name=request.candidate_name(), created_at=request.created_at,
                       updated_at=request.updated_at, version=request.version, steps=request.steps)


def _service():
    from chalicelib.services.requests import Requests

    return Requests(wiring.requests_repository())


@route(blueprint, "/requests", method="POST", summary="Commencer une demande (étape 1 : démarche et mandat)",
       tags=TAGS, request_model=ProcedureStep, response_model=RequestView, status=201, roles=FILERS,
       description="La demande est créée à l'état Brouillon avec son numéro ; les étapes s'enregistrent ensuite une "
                   "par une. Un brouillon laissé trois mois sans modification est supprimé.")
def create_request(caller: Profile, body: ProcedureStep) -> RequestView:
    return view(_service().create(caller, body))


@route(blueprint, "/requests/{request_id}", summary="Lire une demande", tags=TAGS, response_model=RequestView,
       errors=(404,), roles=FILERS)
def get_request(caller: Profile, request_id: str) -> RequestView:
    return view(_service().get(caller, request_id))


@route(blueprint, "/requests/{request_id}/steps/{step}", method="PUT", summary="Enregistrer une étape", tags=TAGS,
       response_model=RequestView, errors=(404, 409, 422), roles=FILERS,
       description="Étapes : " + ", ".join(SAVABLE_STEPS) + ". Chaque étape est validée seule, "
                   "avec un message par champ ; elle peut être enregistrée autant de fois que nécessaire.")
def save_step(caller: Profile, request_id: str, step: str) -> RequestView:
    body = parse_body(blueprint.current_request.raw_body, step_model(step))
    return view(_service().save_step(caller, request_id, body))


@route(blueprint, "/requests/{request_id}/summary", summary="Récapitulatif : ce qui manque avant le dépôt",
       tags=TAGS, response_model=Summary, errors=(404,), roles=FILERS)
def summary(caller: Profile, request_id: str) -> Summary:
    result = _service().summary(caller, request_id)
    missing = [Problem(field=p.field, code=p.code, message=p.message) for p in result["missing"]]
    return Summary(request=view(result["request"]), complete=not missing, missing=missing,
                   required_documents=[RequiredDocumentView(document=d.document.value, label=d.label, reason=d.reason)
                                       for d in result["required_documents"]])


@route(blueprint, "/requests", summary="Mes demandes (les plus récentes d'abord)", tags=TAGS,
       response_model=RequestPage, roles=FILERS,
       description="Filtres : status, procedure, name (nom du candidat) ; limit (1 à 100, 20 par défaut) ; cursor "
                   "(next_cursor de la page précédente).")
def list_requests(caller: Profile) -> RequestPage:
    params = blueprint.current_request.query_params or {}
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        limit = 0
    if limit not in PAGE_SIZES:
        raise InvalidInput("limit_invalid", "Le nombre de demandes par page va de 1 à 100.")
    rows, cursor = _service().page(caller, limit=limit, cursor=params.get("cursor"), status=params.get("status"),
                                   procedure=params.get("procedure"), name=params.get("name"))
    return RequestPage(next_cursor=cursor, requests=[
        RequestRow(request_id=r.request_id, procedure_label=r.procedure_label, status=r.status.value,
                   status_label=r.status_label, candidate_name=r.candidate_name(), created_at=r.created_at,
                   updated_at=r.updated_at) for r in rows])


class UploadInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    content_type: str = Field(description="image/jpeg, image/png ou application/pdf")
    size: int = Field(ge=1, description="Taille du fichier en octets")


class UploadForm(Model):
    url: str
    fields: dict[str, str]
    expires_at: datetime
    document: str
    label: str


class DocumentState(Model):
    document: str
    label: str
    state: str
    state_label: str
    reason: str | None = None


class DocumentStates(Model):
    documents: list[DocumentState]


@route(blueprint, "/requests/{request_id}/documents/{document}/upload", method="POST",
       summary="Préparer l'envoi d'une pièce (formulaire S3 signé, 5 minutes)", tags=TAGS, request_model=UploadInput,
       response_model=UploadForm, status=201, errors=(404, 409), roles=FILERS,
       description="Le navigateur envoie ensuite le fichier directement à S3 (POST multipart vers url avec fields "
                   "puis le fichier). S3 n'accepte que le type et la plage de taille annoncés. La pièce est ensuite "
                   "vérifiée ; son état se lit dans /requests/{request_id}/documents.")
def prepare_upload(caller: Profile, request_id: str, document: str, body: UploadInput) -> UploadForm:
    request = _service().get(caller, request_id)
    return UploadForm(**wiring.documents().prepare_upload(request, document, body.content_type, body.size))


@route(blueprint, "/requests/{request_id}/documents", summary="Les pièces d'une demande et leur vérification",
       tags=TAGS, response_model=DocumentStates, errors=(404,), roles=FILERS)
def document_states(caller: Profile, request_id: str) -> DocumentStates:
    request = _service().get(caller, request_id)
    return DocumentStates(documents=[DocumentState(**d) for d in wiring.documents().states(request)])
