"""Filing a request: create the draft (step 1), save each step, read it, its summary, and the
list of one's requests (newest first, filters, cursor pages)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, parse_body, route
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.procedures import Mandate
from chalicelib.domain.requests import SAVABLE_STEPS, ProcedureStep, Request, consent_of, step_model

blueprint = Routes(__name__)
TAGS = ("demandes",)
FILERS = (Role.AUTO_ECOLE.value, Role.CANDIDAT.value, Role.MEDIATEUR.value)
PAGE_SIZES = range(1, 101)


class DivergentField(Model):
    field: str
    label: str


class DocumentName(Model):
    document: str
    label: str


class LicenceView(Model):
    """The licence of a production request, once ordered."""

    ordered_at: datetime
    tracking_number: str | None = Field(description="Numéro de suivi de la lettre recommandée")
    post_office: str | None = Field(description="Bureau de poste où le retirer")
    collect_by: datetime | None = Field(description="À retirer avant")
    resend_until: datetime | None = Field(description="Renvoi possible jusqu'au (titre retourné)")
    resend_requested_at: datetime | None


class RequestView(Model):
    request_id: str
    procedure: str
    procedure_label: str
    mandate: str
    mandate_label: str
    status: str
    status_label: str = Field(description="Le nom du statut pour l'appelant (le candidat lit « À valider par vous » "
                                          "quand sa validation est attendue)")
    status_hint: str = Field(description="La prochaine étape : qui doit agir (« À vous : », « Rien à faire de votre "
                                         "part : »...) et ce qui se passe ensuite, selon l'appelant")
    candidate_name: str
    school_name: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    validation_deadline: datetime | None
    version: int
    steps: dict[str, dict[str, Any]]
    identity_divergence: list[DivergentField]
    divergence_message: str | None
    neph: str | None = Field(description="Numéro NEPH, donné à la validation d'une inscription")
    complement_documents: list[DocumentName] = Field(description="Pièces à remplacer, quand un complément est "
                                                               "demandé")
    complement_asked_at: datetime | None = Field(default=None, description="Quand le complément a été demandé : "
                                                 "une pièce changée depuis (updated_at de /documents) est remplacée")
    school_address: str | None = Field(default=None, description="L'adresse de l'auto-école, pour le candidat qui "
                                                                 "valide sa demande (la prévenir d'une erreur)")
    viewer: str = Field(description="filer (l'auto-école ou le candidat qui dépose) ou candidate (le candidat qui "
                                    "valide la demande d'une auto-école)")
    actions: list[str] = Field(description="Ce que l'appelant peut faire maintenant : edit, upload, submit, delete, "
                                           "validate, back_to_draft, resend_validation, send_complement, "
                                           "resend_licence, message (écrire sur le fil de la demande)")
    licence: LicenceView | None = Field(default=None, description="Le titre, une fois commandé (démarches de "
                                                                  "fabrication)")
    structure_name: str | None = Field(default=None, description="La structure du médiateur numérique qui a déposé "
                                                                 "la demande avec la personne (mandat mediation)")
    consent: str | None = Field(default=None, description="Le consentement recueilli par le médiateur : qui, "
                                                          "comment, quand")


class Problem(Model):
    field: str | None = None
    code: str | None = None
    message: str


class RequiredDocumentView(Model):
    document: str
    label: str
    reason: str
    is_file: bool = Field(description="false pour le code ePhoto (un code, pas un fichier)")
    content_types: list[str]
    min_bytes: int | None
    max_bytes: int | None
    state: str = Field(description="missing, awaiting_upload, pending, accepted ou refused")
    state_label: str
    refusal: str | None = None


class Summary(Model):
    request: RequestView
    complete: bool
    missing: list[Problem]
    required_documents: list[RequiredDocumentView]


class RequestRow(Model):
    request_id: str
    procedure_label: str
    status: str
    status_label: str = Field(description="Le nom du statut pour l'appelant (auto-école, candidat ou médiateur)")
    next_step: str = Field(description="Prochaine étape : qui doit agir et ce qui se passe ensuite")
    candidate_name: str
    created_at: datetime
    updated_at: datetime


class StatusName(Model):
    status: str
    label: str


class RequestPage(Model):
    requests: list[RequestRow]
    next_cursor: str | None
    statuses: list[StatusName] = Field(description="Les statuts et leur nom pour l'appelant (le filtre par statut)")


def audience(caller: Profile, request: Request | None = None):
    """Whose words the caller reads: a school member's, a candidate's (filing alone or validating a
    school's request: `viewer()` says which, the mandate says who acts), a mediator's; an agent's."""
    from chalicelib.domain.status_texts import Audience, audience_of
    from chalicelib.services.requests import viewer

    if request is not None and viewer(caller, request) is None:
        return Audience.AGENT  # not theirs (never served to them): the official names
    return audience_of(caller.role)


def status_texts(caller: Profile, request: Request) -> tuple[str, str]:
    """The status's name and its next step, in the caller's words."""
    from chalicelib.domain.status_texts import next_step, status_label

    seen_by = audience(caller, request)
    return (status_label(request.status, seen_by),
            next_step(request.status, seen_by, request.procedure, mandate=request.mandate,
                      resend_requested=request.resend_requested_at is not None))


def view(caller: Profile, request: Request, school_address: str | None = None) -> RequestView:
    from chalicelib.domain.identity_match import FIELD_LABELS, divergence_message
    from chalicelib.domain.procedures import MANDATE_LABELS
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType
    from chalicelib.services.requests import actions, viewer

    divergence = tuple(request.identity_divergence)
    consent = consent_of(request)
    label, hint = status_texts(caller, request)
    return RequestView(request_id=request.request_id, procedure=request.procedure.value,
                       procedure_label=request.procedure_label, mandate=request.mandate.value,
                       mandate_label=MANDATE_LABELS[request.mandate], status=request.status.value,
                       status_label=label, status_hint=hint,
                       candidate_name=request.candidate_name(), school_name=request.school_name,
                       created_at=request.created_at, updated_at=request.updated_at,
                       submitted_at=request.submitted_at, validation_deadline=request.validation_deadline,
                       version=request.version, steps=request.steps,
                       identity_divergence=[DivergentField(field=f, label=FIELD_LABELS[f]) for f in divergence],
                       divergence_message=divergence_message(divergence) or None, neph=request.neph,
                       complement_documents=[DocumentName(document=d, label=DOCUMENT_LABELS[DocumentType(d)])
                                             for d in request.complement_documents],
                       complement_asked_at=request.complement_asked_at if request.complement_documents else None,
                       school_address=school_address, viewer=viewer(caller, request) or "",
                       actions=actions(caller, request),
                       licence=LicenceView(ordered_at=request.licence_ordered_at, tracking_number=request.tracking_number,
                                           post_office=request.post_office, collect_by=request.collect_by,
                                           resend_until=request.resend_until,
                                           resend_requested_at=request.resend_requested_at)
                       if request.licence_ordered_at else None, structure_name=request.structure_name,
                       consent=consent.describe(request.structure_name) if consent else None)


@route(blueprint, "/requests", method="POST", summary="Commencer une demande (étape 1 : démarche et mandat)",
       tags=TAGS, request_model=ProcedureStep, response_model=RequestView, status=201, roles=FILERS,
       description="La demande est créée à l'état Brouillon avec son numéro ; les étapes s'enregistrent ensuite une "
                   "par une. Un brouillon laissé trois mois sans modification est supprimé.")
def create_request(caller: Profile, body: ProcedureStep) -> RequestView:
    return view(caller, wiring.requests_service().create(caller, body))


@route(blueprint, "/requests/{request_id}", summary="Lire une demande", tags=TAGS, response_model=RequestView,
       errors=(404,), roles=FILERS)
def get_request(caller: Profile, request_id: str) -> RequestView:
    service = wiring.requests_service()
    request = service.get(caller, request_id)
    return view(caller, request, school_address=service.school_address_for_candidate(caller, request))


@route(blueprint, "/requests/{request_id}/steps/{step}", method="PUT", summary="Enregistrer une étape", tags=TAGS,
       response_model=RequestView, errors=(404, 409, 422), roles=FILERS,
       description="Étapes : " + ", ".join(SAVABLE_STEPS) + " (et consent pour un médiateur numérique). "
                   "Chaque étape est validée seule, "
                   "avec un message par champ ; elle peut être enregistrée autant de fois que nécessaire.")
def save_step(caller: Profile, request_id: str, step: str) -> RequestView:
    # A mediator files only with the mediation mandate: its steps' forms (contact without email, consent).
    mandate = Mandate.MEDIATION if caller.role == Role.MEDIATEUR else None
    body = parse_body(blueprint.current_request.raw_body, step_model(step, mandate))
    return view(caller, wiring.requests_service().save_step(caller, request_id, body))


@route(blueprint, "/requests/{request_id}/summary", summary="Récapitulatif : ce qui manque avant le dépôt",
       tags=TAGS, response_model=Summary, errors=(404,), roles=FILERS)
def summary(caller: Profile, request_id: str) -> Summary:
    from chalicelib.domain.rules import DOCUMENT_SPECS
    from chalicelib.services.documents import STATE_LABELS

    service = wiring.requests_service()
    result = service.summary(caller, request_id)
    missing = [Problem(field=p.field, code=p.code, message=p.message) for p in result["missing"]]
    documents = []
    for needed in result["required_documents"]:
        spec, record = DOCUMENT_SPECS[needed.document], result["states"].get(needed.document.value) or {}
        state = record.get("state", "missing")
        documents.append(RequiredDocumentView(
            document=needed.document.value, label=needed.label, reason=needed.reason, is_file=spec.is_file,
            content_types=sorted(spec.content_types), min_bytes=spec.min_bytes, max_bytes=spec.max_bytes,
            state=state, state_label=STATE_LABELS.get(state, "À fournir"),
            refusal=record.get("reason") if state == "refused" else None))
    shown = view(caller, result["request"])
    return Summary(request=shown, complete=not missing and "submit" in shown.actions, missing=missing,
                   required_documents=documents)


@route(blueprint, "/requests", summary="Mes demandes (les plus récentes d'abord)", tags=TAGS,
       response_model=RequestPage, errors=(422,), roles=FILERS,
       query=("status", "procedure", "name", "limit", "cursor"),
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
    rows, cursor = wiring.requests_service().page(caller, limit=limit, cursor=params.get("cursor"), status=params.get("status"),
                                   procedure=params.get("procedure"), name=params.get("name"))
    from chalicelib.domain.procedures import RequestStatus
    from chalicelib.domain.status_texts import status_label

    return RequestPage(next_cursor=cursor, requests=[_row(caller, r) for r in rows], statuses=[
        StatusName(status=s.value, label=status_label(s, audience(caller))) for s in RequestStatus])


def _row(caller: Profile, request: Request) -> RequestRow:
    label, step = status_texts(caller, request)
    return RequestRow(request_id=request.request_id, procedure_label=request.procedure_label,
                      status=request.status.value, status_label=label, next_step=step,
                      candidate_name=request.candidate_name(), created_at=request.created_at,
                      updated_at=request.updated_at)


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
    updated_at: datetime | None = Field(default=None, description="Dernier envoi ou dernière vérification")


class DocumentStates(Model):
    documents: list[DocumentState]


@route(blueprint, "/requests/{request_id}/documents/{document}/upload", method="POST",
       summary="Préparer l'envoi d'une pièce (formulaire S3 signé, 5 minutes)", tags=TAGS, request_model=UploadInput,
       response_model=UploadForm, status=201, errors=(404, 409), roles=FILERS,
       description="Le navigateur envoie ensuite le fichier directement à S3 (POST multipart vers url avec fields "
                   "puis le fichier). S3 n'accepte que le type et la plage de taille annoncés. La pièce est ensuite "
                   "vérifiée ; son état se lit dans /requests/{request_id}/documents.")
def prepare_upload(caller: Profile, request_id: str, document: str, body: UploadInput) -> UploadForm:
    request = wiring.requests_service().get_as_filer(caller, request_id)
    return UploadForm(**wiring.documents().prepare_upload(request, document, body.content_type, body.size))


@route(blueprint, "/requests/{request_id}/documents", summary="Les pièces d'une demande et leur vérification",
       tags=TAGS, response_model=DocumentStates, errors=(404,), roles=FILERS)
def document_states(caller: Profile, request_id: str) -> DocumentStates:
    request = wiring.requests_service().get(caller, request_id)
    return DocumentStates(documents=[DocumentState(**d) for d in wiring.documents().states(request)])


class EphotoInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(max_length=60, description="Code ePhoto à 22 caractères (lettres et chiffres)")


@route(blueprint, "/requests/{request_id}/ephoto", method="PUT", summary="Enregistrer le code ePhoto", tags=TAGS,
       request_model=EphotoInput, response_model=DocumentState, errors=(404, 409), roles=FILERS,
       description="Le code de la photo et de la signature numériques, fourni par une cabine ou un photographe agréés. "
                   "Un code ne sert qu'à une demande (409 ephoto_used).")
def save_ephoto(caller: Profile, request_id: str, body: EphotoInput) -> DocumentState:
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType
    from chalicelib.services.documents import STATE_LABELS

    saved = wiring.requests_service().save_ephoto(caller, request_id, body.code)
    return DocumentState(document=saved["document"], label=DOCUMENT_LABELS[DocumentType.EPHOTO], state=saved["state"],
                         state_label=STATE_LABELS[saved["state"]])


class VersionInput(Model):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="La version de la demande lue par l'appelant (deux onglets ne peuvent pas "
                                           "agir tous les deux)")


@route(blueprint, "/requests/{request_id}/submission", method="POST", summary="Déposer la demande", tags=TAGS,
       request_model=VersionInput, response_model=RequestView, errors=(404, 409), roles=FILERS,
       description="En-tête Idempotency-Key obligatoire : le même dépôt renvoyé (double clic, réseau coupé) donne la "
                   "même réponse et ne dépose qu'une fois. Sans mandat, la demande attend la validation du candidat "
                   "(un seul courriel) ; sinon ses pièces sont vérifiées, puis l'instruction commence d'elle-même.")
def submit(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    key = (blueprint.current_request.headers or {}).get("idempotency-key")
    return view(caller, wiring.requests_service().submit(caller, request_id, body.version, key))


@route(blueprint, "/requests/{request_id}/validation", method="POST", summary="Valider la demande (le candidat)",
       tags=TAGS, request_model=VersionInput, response_model=RequestView, errors=(404, 409),
       roles=(Role.CANDIDAT.value,),
       description="Le candidat confirme la demande préparée sans mandat par son auto-école. Si l'identité de son "
                   "compte diffère de celle de la demande : 409 identity_mismatch avec les champs concernés.")
def validate(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    return view(caller, wiring.requests_service().validate(caller, request_id, body.version))


@route(blueprint, "/requests/{request_id}/back-to-draft", method="POST",
       summary="Reprendre la demande pour la corriger (retour au brouillon)", tags=TAGS, request_model=VersionInput,
       response_model=RequestView, errors=(404, 409), roles=(Role.AUTO_ECOLE.value,))
def back_to_draft(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    return view(caller, wiring.requests_service().back_to_draft(caller, request_id, body.version))


@route(blueprint, "/requests/{request_id}/resend-validation", method="POST",
       summary="Redemander la validation au candidat (après expiration)", tags=TAGS, request_model=VersionInput,
       response_model=RequestView, errors=(404, 409), roles=(Role.AUTO_ECOLE.value,))
def resend_validation(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    return view(caller, wiring.requests_service().resend_validation(caller, request_id, body.version))


@route(blueprint, "/requests/{request_id}/complement", method="POST",
       summary="Renvoyer la demande après avoir remplacé les pièces demandées", tags=TAGS, request_model=VersionInput,
       response_model=RequestView, errors=(404, 409), roles=FILERS,
       description="Les pièces remplacées sont vérifiées, puis la demande revient en instruction avant les "
                   "nouvelles demandes.")
def send_complement(caller: Profile, request_id: str, body: VersionInput) -> RequestView:
    return view(caller, wiring.requests_service().send_complement(caller, request_id, body.version))


class HistoryRow(Model):
    from_status: str | None
    from_label: str | None = Field(description="Le nom du statut quitté, pour le lecteur (auto-école, candidat, "
                                               "médiateur, agent)")
    to_status: str
    to_label: str = Field(description="Le nom du statut pris, pour le lecteur")
    actor_label: str = Field(description="Qui a fait ce changement : un rôle (Candidat, Professionnel auto-école, "
                                         "Instructeur DDT...) ou « Automatiquement » quand personne ne l'a fait")
    at: datetime
    reason: str | None
    acknowledged: list[str] = Field(default_factory=list, description="Agents seulement : les contrôles « À "
                                    "vérifier » que l'agent a confirmé avoir vérifiés avant de valider")


class History(Model):
    history: list[HistoryRow]


@route(blueprint, "/requests/{request_id}/history", summary="L'historique de la demande (chaque statut, sa date, "
       "son motif)", tags=TAGS, response_model=History, errors=(404,), roles=FILERS)
def history(caller: Profile, request_id: str) -> History:
    from chalicelib.domain.status_texts import audience_of

    return History(history=history_rows(wiring.requests_service().history(caller, request_id),
                                        audience_of(caller.role)))


def history_rows(rows, audience) -> list[HistoryRow]:
    """The history in the reader's words (`status_texts.Audience`); a move no person made says
    "Automatiquement"."""
    from chalicelib.domain.accounts import ROLE_LABELS
    from chalicelib.domain.procedures import SYSTEM_ACTOR
    from chalicelib.domain.status_texts import AUTOMATIC_ACTOR_LABEL, Audience, status_label

    return [HistoryRow(
        from_status=t.from_status.value if t.from_status else None,
        from_label=status_label(t.from_status, audience) if t.from_status else None, to_status=t.to_status.value,
        to_label=status_label(t.to_status, audience), at=t.at, reason=t.reason,
        acknowledged=list(t.acknowledged) if audience is Audience.AGENT else [],
        actor_label=AUTOMATIC_ACTOR_LABEL if t.actor_role == SYSTEM_ACTOR
        else ROLE_LABELS.get(t.actor_role, str(t.actor_role)))
        for t in rows]


class Download(Model):
    url: str
    expires_at: datetime


RECEIPT_LINK_SECONDS = 60


@route(blueprint, "/requests/{request_id}/receipt", summary="Télécharger le récépissé de dépôt (lien d'une minute)",
       tags=TAGS, response_model=Download, errors=(404, 409), roles=FILERS)
def receipt(caller: Profile, request_id: str) -> Download:
    from datetime import timedelta, timezone

    key = wiring.requests_service().receipt_key(caller, request_id)
    url = wiring.presigned_download(key, f"recepisse-{request_id}.pdf", RECEIPT_LINK_SECONDS)
    return Download(url=url, expires_at=datetime.now(timezone.utc) + timedelta(seconds=RECEIPT_LINK_SECONDS))


ISSUED_DOCUMENTS = {"inscription": "ATT", "fiche-retour": "FRP"}


@route(blueprint, "/requests/{request_id}/attestations/{document}", summary="Télécharger l'attestation "
       "d'inscription ou la fiche retour au permis (lien d'une minute)", tags=TAGS, response_model=Download,
       errors=(404, 409), roles=FILERS,
       description="document : inscription (l'attestation, à imprimer recto verso et à présenter à chaque examen) "
                   "ou fiche-retour (après une invalidation ou une annulation). Délivrées à la validation de "
                   "l'inscription ; leur QR code se vérifie sur /verification.")
def issued_document(caller: Profile, request_id: str, document: str) -> Download:
    from datetime import timedelta, timezone

    from chalicelib.domain.errors import Conflict, NotFound

    request = wiring.requests_service().get(caller, request_id)  # the school or the candidate of the request
    if document not in ISSUED_DOCUMENTS:
        raise NotFound("document_not_found", "Document inconnu : inscription ou fiche-retour.")
    issued = wiring.requests_repository().issued(request_id, ISSUED_DOCUMENTS[document])
    if issued is None:
        raise Conflict("attestation_not_ready", "L'attestation est délivrée quand l'inscription est validée"
                       + (" ; elle est en préparation : réessayez dans quelques secondes." if request.neph else "."),
                       current={"status": request.status.value, "status_label": request.status_label})
    url = wiring.presigned_download(issued["key"], f"{document}-{request.neph or request_id}.pdf",
                                    RECEIPT_LINK_SECONDS)
    return Download(url=url, expires_at=datetime.now(timezone.utc) + timedelta(seconds=RECEIPT_LINK_SECONDS))


class TransferInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    request_id: str = Field(max_length=20, description="Numéro de la demande (12 chiffres)")
    former_agrement: str = Field(max_length=20, description="Numéro d'agrément de l'auto-école précédente")


@route(blueprint, "/requests/transfer", method="POST", summary="Reprendre la demande d'une autre auto-école",
       tags=TAGS, request_model=TransferInput, response_model=RequestView, roles=(Role.AUTO_ECOLE.value,),
       description="Avec le numéro de la demande et l'agrément de l'auto-école précédente, qui n'y a plus accès ; "
                   "les deux auto-écoles sont prévenues par courriel.")
def transfer(caller: Profile, body: TransferInput) -> RequestView:
    return view(caller, wiring.requests_service().transfer(caller, body.request_id, body.former_agrement))


# --- drafts: deleting one, what is being typed, opening one's own files ---------------------------

class DeletedDraft(Model):
    request_id: str
    message: str


def version_param(params: dict[str, str]) -> int:
    """The `version` query parameter of a DELETE (which has no body): the version the caller read,
    validated like a body's (422 with the French message of the field `version`)."""
    from pydantic import ValidationError

    from chalicelib.api.errors import validation_failed

    try:
        return VersionInput.model_validate({"version": params["version"]} if "version" in params else {}).version
    except ValidationError as exc:
        raise validation_failed(exc) from None


@route(blueprint, "/requests/{request_id}", method="DELETE", summary="Supprimer un brouillon (et ses pièces)",
       tags=TAGS, response_model=DeletedDraft, errors=(404, 409, 422), roles=FILERS, query=("version",),
       description="Paramètre version (obligatoire) : la version de la demande lue, comme pour le dépôt. Seul un "
                   "brouillon se supprime (409 request_not_draft une fois la demande déposée ; 409 "
                   "changed_meanwhile si elle a changé depuis la lecture ; 409 request_has_appointment si un "
                   "rendez-vous en préfecture est à venir : l'annuler d'abord). Les pièces justificatives, "
                   "l'historique et la saisie en cours sont effacés dans les secondes qui suivent.")
def delete_draft(caller: Profile, request_id: str) -> DeletedDraft:
    version = version_param(blueprint.current_request.query_params or {})
    deleted = wiring.requests_service().delete_draft(caller, request_id, version)
    return DeletedDraft(request_id=deleted.request_id, message=f"La demande n° {deleted.request_id} a été "
                        "supprimée avec ses pièces justificatives.")


class AutosaveView(Model):
    fields: dict[str, Any] = Field(description="Les champs de l'étape tels que saisis (non vérifiés)")
    saved_at: datetime


class Autosaves(Model):
    drafts: dict[str, AutosaveView] = Field(description="Par étape : la saisie en cours, pas encore enregistrée")


class _FreeForm(Model):
    """Any JSON object (what is typed is checked by domain.requests.check_autosave)."""

    model_config = ConfigDict(extra="allow")


class AutosaveSaved(Model):
    step: str
    saved_at: datetime


@route(blueprint, "/requests/{request_id}/steps/{step}/draft", method="PUT",
       summary="Garder la saisie en cours d'une étape (enregistrement automatique)", tags=TAGS,
       response_model=AutosaveSaved, errors=(404, 409, 422), roles=FILERS,
       description="Corps : un objet JSON avec n'importe quels champs de l'étape (" + ", ".join(SAVABLE_STEPS)
                   + ", et consent pour un médiateur numérique), tels que saisis : ils ne sont pas vérifiés comme "
                   "à l'enregistrement de l'étape. Textes de 500 caractères au plus, true/false, null, listes de 20 "
                   "éléments, objets imbriqués sur 3 niveaux, pas de nombres ; 16 Kio en tout (413). Un champ "
                   "inconnu : 422 unknown_field. La version de la demande ne change pas ; enregistrer l'étape "
                   "efface sa saisie en cours.")
def autosave_step(caller: Profile, request_id: str, step: str) -> AutosaveSaved:
    from chalicelib.domain.errors import PayloadTooLarge
    from chalicelib.domain.requests import AUTOSAVE_MAX_BYTES

    raw = blueprint.current_request.raw_body or b""
    if len(raw) > AUTOSAVE_MAX_BYTES:
        raise PayloadTooLarge("autosave_too_large", "La saisie en cours dépasse 16 Kio : elle n'est pas gardée. "
                              "Enregistrez l'étape pour ne rien perdre.")
    fields = parse_body(raw, _FreeForm).model_extra or {}
    saved_at = wiring.requests_service().autosave(caller, request_id, step, fields)
    return AutosaveSaved(step=step, saved_at=saved_at)


@route(blueprint, "/requests/{request_id}/drafts", summary="La saisie en cours des étapes (pas encore "
       "enregistrée)", tags=TAGS, response_model=Autosaves, errors=(404,), roles=FILERS,
       description="Pour reprendre là où la saisie s'est arrêtée : par étape, les champs saisis et quand. Vide pour "
                   "une demande déposée.")
def autosaves(caller: Profile, request_id: str) -> Autosaves:
    saved = wiring.requests_service().autosaved(caller, request_id)
    return Autosaves(drafts={step: AutosaveView(**value) for step, value in saved.items()})


class FileLink(Model):
    url: str = Field(description="Lien signé d'une minute, affiché dans la page (inline) : une image en vignette "
                                 "(<img src>), un PDF dans le navigateur")
    expires_at: datetime
    content_type: str = Field(description="image/jpeg, image/png ou application/pdf")
    file_name: str


@route(blueprint, "/requests/{request_id}/documents/{document}/file",
       summary="Ouvrir une pièce envoyée, vérifiée et acceptée (lien d'une minute)", tags=TAGS,
       response_model=FileLink, errors=(404,), roles=FILERS,
       description="Pour l'auto-école, le candidat ou le médiateur qui dépose, et le candidat qui valide la demande "
                   "de son auto-école. Une pièce pas encore vérifiée, refusée, ou le code ePhoto (un code, pas un "
                   "fichier) : 404 document_not_found.")
def open_file(caller: Profile, request_id: str, document: str) -> FileLink:
    request = wiring.requests_service().get(caller, request_id)  # the filer or the validating candidate
    return FileLink(**wiring.documents().file_link(request, document))
