"""A request's messages (issue 20, item 5): the filing side reads and writes under /requests, the
agents of the authority that instructs it under /staff/requests. The same thread for both."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.api.requests import FILERS
from chalicelib.api.staff import INSTRUCTORS
from chalicelib.domain.accounts import Profile
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("messages",)


class MessageInput(Model):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=4000, description="Le message (2000 caractères au plus) ; chacun des autres "
                                                   "participants en reçoit un courriel")
    attachments: list[str] = Field(default_factory=list, max_length=10,
                                   description="Les pièces jointes préparées par .../messages/pieces-jointes et "
                                               "envoyées au stockage (3 au plus)")


class AttachmentInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    file_name: str = Field(max_length=500, description="Le nom du fichier, tel que le fil l'affichera")
    content_type: str = Field(max_length=100, description="application/pdf, image/jpeg ou image/png")
    size: int = Field(ge=0, description="Taille du fichier en octets (5 Mo au plus)")


class AttachmentForm(Model):
    attachment_id: str
    file_name: str
    url: str
    fields: dict[str, str] = Field(description="Les champs du POST multipart, le fichier en dernier")
    expires_at: datetime


class AttachmentView(Model):
    attachment_id: str
    file_name: str
    content_type: str
    size: int
    state: str = Field(description="awaiting_upload, pending, accepted (s'ouvre) ou refused")
    state_label: str
    reason: str | None = Field(None, description="Pourquoi la vérification l'a refusée")


class AttachmentLink(Model):
    url: str = Field(description="Lien d'une minute, affiché dans la page")
    content_type: str
    file_name: str
    expires_at: datetime


class MessageView(Model):
    message_id: str
    side: str = Field(description="demandeur (auto-école, candidat, médiateur) ou instruction (les agents)")
    author_label: str
    mine: bool = Field(description="true : écrit par l'appelant")
    at: datetime
    text: str
    attachments: list[AttachmentView]


class Thread(Model):
    messages: list[MessageView] = Field(description="Des plus anciens aux plus récents")
    open: bool = Field(description="false : demande brouillon ou close, on ne peut pas écrire")
    closed_reason: str | None = None


def _view(caller: Profile, message) -> MessageView:
    return MessageView(message_id=message.message_id, side=message.side.value, author_label=message.author_label,
                       mine=message.author_account_id == caller.account_id, at=message.at, text=message.text,
                       attachments=[AttachmentView(attachment_id=a.attachment_id, file_name=a.file_name,
                                                   content_type=a.content_type, size=a.size, state=a.state,
                                                   state_label=a.state_label, reason=a.reason)
                                    for a in message.attachments])


def _thread(caller: Profile, request, messages) -> Thread:
    from chalicelib.domain.messages import thread_closed

    closed = thread_closed(request)
    return Thread(messages=[_view(caller, m) for m in messages], open=closed is None, closed_reason=closed)


@route(blueprint, "/requests/{request_id}/messages", summary="Les messages de la demande", tags=TAGS,
       response_model=Thread, errors=(404,), roles=FILERS,
       description="Les échanges entre l'auto-école, le candidat ou le médiateur et le service instructeur.")
def filer_thread(caller: Profile, request_id: str) -> Thread:
    return _thread(caller, *wiring.messages_service().thread_for_filer(caller, request_id))


@route(blueprint, "/requests/{request_id}/messages", method="POST", summary="Écrire au service instructeur",
       tags=TAGS, request_model=MessageInput, response_model=MessageView, errors=(404, 409), roles=FILERS,
       status=201, description="422 message_invalid pour un message vide ou trop long ; 409 thread_closed pour un "
                               "brouillon ou une demande close.")
def filer_post(caller: Profile, request_id: str, body: MessageInput) -> MessageView:
    return _view(caller, wiring.messages_service().post_as_filer(caller, request_id, body.text, body.attachments))


ATTACHMENT_FORM = ("Le fichier va ensuite au stockage par ce formulaire (5 minutes), puis est vérifié comme les pièces "
                   "de la demande ; le message qui le nomme part aussitôt. 422 attachment_invalid (nom, format, "
                   "taille) ; 409 thread_closed.")
ATTACHMENT_LINK = "Seulement une pièce envoyée avec un message et acceptée par la vérification ; 404 sinon."


@route(blueprint, "/requests/{request_id}/messages/pieces-jointes", method="POST", tags=TAGS,
       summary="Préparer l'envoi d'une pièce jointe", request_model=AttachmentInput, response_model=AttachmentForm,
       errors=(404, 409), roles=FILERS, status=201, description=ATTACHMENT_FORM)
def filer_attachment_form(caller: Profile, request_id: str, body: AttachmentInput) -> AttachmentForm:
    return AttachmentForm(**wiring.messages_service().attachment_form_for_filer(
        caller, request_id, body.file_name, body.content_type, body.size))


@route(blueprint, "/requests/{request_id}/messages/pieces-jointes/{attachment_id}", tags=TAGS,
       summary="Ouvrir une pièce jointe (lien d'une minute)", response_model=AttachmentLink, errors=(404,),
       roles=FILERS, description=ATTACHMENT_LINK)
def filer_attachment(caller: Profile, request_id: str, attachment_id: str) -> AttachmentLink:
    return AttachmentLink(**wiring.messages_service().attachment_link_for_filer(caller, request_id, attachment_id))


@route(blueprint, "/staff/requests/{request_id}/messages", summary="Les messages de la demande (agents)",
       tags=TAGS, response_model=Thread, errors=(404,), roles=INSTRUCTORS,
       description="Le fil de la demande, pour les agents du service qui l'instruit, quel que soit son statut.")
def staff_thread(caller: Profile, request_id: str) -> Thread:
    return _thread(caller, *wiring.messages_service().thread_for_agent(caller, request_id))


@route(blueprint, "/staff/requests/{request_id}/messages", method="POST", summary="Écrire au demandeur",
       tags=TAGS, request_model=MessageInput, response_model=MessageView, errors=(404, 409), roles=INSTRUCTORS,
       status=201, description="Sans prendre la demande en charge ; l'auto-école, le candidat et le médiateur en "
                               "reçoivent un courriel.")
def staff_post(caller: Profile, request_id: str, body: MessageInput) -> MessageView:
    return _view(caller, wiring.messages_service().post_as_agent(caller, request_id, body.text, body.attachments))


@route(blueprint, "/staff/requests/{request_id}/messages/pieces-jointes", method="POST", tags=TAGS,
       summary="Préparer l'envoi d'une pièce jointe (agents)", request_model=AttachmentInput,
       response_model=AttachmentForm, errors=(404, 409), roles=INSTRUCTORS, status=201, description=ATTACHMENT_FORM)
def staff_attachment_form(caller: Profile, request_id: str, body: AttachmentInput) -> AttachmentForm:
    return AttachmentForm(**wiring.messages_service().attachment_form_for_agent(
        caller, request_id, body.file_name, body.content_type, body.size))


@route(blueprint, "/staff/requests/{request_id}/messages/pieces-jointes/{attachment_id}", tags=TAGS,
       summary="Ouvrir une pièce jointe (agents ; consultation enregistrée)", response_model=AttachmentLink,
       errors=(404,), roles=INSTRUCTORS, description=ATTACHMENT_LINK)
def staff_attachment(caller: Profile, request_id: str, attachment_id: str) -> AttachmentLink:
    return AttachmentLink(**wiring.messages_service().attachment_link_for_agent(caller, request_id, attachment_id))
