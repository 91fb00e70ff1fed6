"""A request's messages (issue 20, item 5): the filing side (school, candidate, mediator) and the
agents of its authority write on one thread; each message is emailed to the others once, by the
notifications worker, from the event committed with it.

A file goes with a message as a request's documents do: the author asks for an upload form (a
presigned POST whose policy fixes the key, the type and the size), the browser sends the file to
the bucket, the checker worker checks it; the message names it when sent, checked or not yet (the
thread then says « Vérification en cours », as démarches-simplifiées says « analyse antivirus »),
and it opens only once accepted, through a link of a minute (an agent's opening is audited)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.domain import request_events
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.domain.messages import (ATTACHMENT_FOLDER, UNSENT_ATTACHMENT_RETENTION, Attachment,
                                        Message, Side, attachment_problem, attachments_problem, clean_file_name,
                                        message_problem, thread_closed)

if TYPE_CHECKING:
    from chalicelib.adapters.instruction_repository import DynamoInstructionRecords
    from chalicelib.adapters.messages_repository import DynamoMessagesRepository
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests

ATTACHMENT_LINK_SECONDS = 60
ATTACHMENT_NOT_FOUND = NotFound("attachment_not_found", "Cette pièce jointe n'existe pas sur le fil de la demande, ou "
                                                        "n'est pas encore vérifiée : seules les pièces acceptées "
                                                        "s'ouvrent.")


@dataclass
class Messages:
    requests: "Requests"
    repo: "DynamoMessagesRepository"
    # The request, if the agent's service instructs it; else the staff's 404 (Instruction.instructed).
    instructed: Callable[["Profile", str], "Request"]
    records: "DynamoInstructionRecords"  # the reads audit: an agent opening an attachment
    presign_post: Callable[..., dict[str, Any]]  # s3.generate_presigned_post bound to the documents bucket
    open_link: Callable[[str, str, str, int], str]  # (key, file name, content type, seconds) -> URL, inline

    # --- the filing side -----------------------------------------------------------------------

    def thread_for_filer(self, caller: "Profile", request_id: str) -> tuple["Request", list[Message]]:
        """The thread, for the request's school, candidate or mediator (404 for anyone else)."""
        request = self.requests.get(caller, request_id)
        return request, self.repo.thread(request_id)

    def post_as_filer(self, caller: "Profile", request_id: str, text: str, attachment_ids: list[str] = ()) -> Message:
        request = self.requests.get(caller, request_id)
        return self._post(request, Side.FILING, caller, filer_label(caller, request), text, list(attachment_ids))

    def attachment_form_for_filer(self, caller: "Profile", request_id: str, file_name: str, content_type: str,
                                  size: int) -> dict[str, Any]:
        return self._attachment_form(self.requests.get(caller, request_id), caller, file_name, content_type, size)

    def attachment_link_for_filer(self, caller: "Profile", request_id: str, attachment_id: str) -> dict[str, Any]:
        return self._attachment_link(self.requests.get(caller, request_id), attachment_id)

    # --- the instruction side ------------------------------------------------------------------

    def thread_for_agent(self, agent: "Profile", request_id: str) -> tuple["Request", list[Message]]:
        request = self.instructed(agent, request_id)
        return request, self.repo.thread(request_id)

    def post_as_agent(self, agent: "Profile", request_id: str, text: str, attachment_ids: list[str] = ()) -> Message:
        request = self.instructed(agent, request_id)
        return self._post(request, Side.INSTRUCTION, agent, f"{request.authority()} ({first_name(agent)})", text,
                          list(attachment_ids))

    def attachment_form_for_agent(self, agent: "Profile", request_id: str, file_name: str, content_type: str,
                                  size: int) -> dict[str, Any]:
        return self._attachment_form(self.instructed(agent, request_id), agent, file_name, content_type, size)

    def attachment_link_for_agent(self, agent: "Profile", request_id: str, attachment_id: str) -> dict[str, Any]:
        """The link, and the opening recorded in the request's reads audit like a document's."""
        request = self.instructed(agent, request_id)
        link = self._attachment_link(request, attachment_id)
        self.records.record_read(request_id, agent.account_id, agent.display_name(), agent.role.value,
                                 f"piece-jointe:{attachment_id}", self.requests.clock())
        return link

    # --- both ----------------------------------------------------------------------------------

    def _attachment_form(self, request: "Request", author: "Profile", file_name: str, content_type: str,
                         size: int) -> dict[str, Any]:
        """The upload form of one file to send with the author's next message on this thread."""
        from chalicelib.resources import UPLOADS_PREFIX
        from chalicelib.services.documents import UPLOAD_VALIDITY, upload_conditions

        closed = thread_closed(request)
        if closed:
            raise _closed(request, closed)
        problem = attachment_problem(file_name, content_type, size)
        if problem:
            field, why = problem
            raise InvalidInput("attachment_invalid", why, [ErrorDetail(why, field=field, code="attachment_invalid")])
        now = self.requests.clock()
        attachment = Attachment(attachment_id=uuid.uuid4().hex, file_name=clean_file_name(file_name),
                                content_type=content_type, size=size, author_account_id=author.account_id)
        key = f"{UPLOADS_PREFIX}{request.request_id}/{ATTACHMENT_FOLDER}/{attachment.attachment_id}"
        post = self.presign_post(Key=key, Fields={"Content-Type": content_type},
                                 Conditions=upload_conditions(key, content_type, size, size),
                                 ExpiresIn=int(UPLOAD_VALIDITY.total_seconds()))
        self.repo.expect_attachment(request.request_id, attachment, key, now,
                                    int((now + UNSENT_ATTACHMENT_RETENTION).timestamp()))
        return {"attachment_id": attachment.attachment_id, "file_name": attachment.file_name, "url": post["url"],
                "fields": post["fields"], "expires_at": now + UPLOAD_VALIDITY}

    def _attachment_link(self, request: "Request", attachment_id: str) -> dict[str, Any]:
        """A link of a minute to an accepted attachment of a message of this thread, shown inline."""
        from chalicelib.services.documents import FILE_EXTENSIONS

        record = self.repo.attachment_record(request.request_id, attachment_id) if attachment_id.isalnum() else None
        if record is None or not record.get("message_id") or record.get("state") != "accepted" \
                or not record.get("clean_key"):
            raise ATTACHMENT_NOT_FOUND
        content_type = record["content_type"]
        # The header's name is ours (ASCII); the sender's own name is shown by the page.
        name = f"piece-jointe-{request.request_id}-{attachment_id[:8]}.{FILE_EXTENSIONS.get(content_type, 'bin')}"
        now = self.requests.clock()
        return {"url": self.open_link(record["clean_key"], name, content_type, ATTACHMENT_LINK_SECONDS),
                "content_type": content_type, "file_name": record["file_name"],
                "expires_at": now + timedelta(seconds=ATTACHMENT_LINK_SECONDS)}

    def _attachments(self, request: "Request", author: "Profile", attachment_ids: list[str]) -> tuple[Attachment, ...]:
        """The author's files named by a message: each on this thread, theirs, not sent yet, not refused."""
        problem = attachments_problem(attachment_ids)
        if problem:
            raise InvalidInput("attachments_invalid", problem,
                               [ErrorDetail(problem, field="attachments", code="attachments_invalid")])
        found = []
        for attachment_id in attachment_ids:
            attachment = self.repo.attachment(request.request_id, attachment_id) if attachment_id.isalnum() else None
            if attachment is None or attachment.author_account_id != author.account_id:
                raise InvalidInput("attachment_unknown", "Une pièce jointe n'a pas été préparée sur ce fil (ou a "
                                   "expiré) : joignez le fichier à nouveau.",
                                   [ErrorDetail("Joignez le fichier à nouveau.", field="attachments",
                                                code="attachment_unknown")])
            if attachment.message_id:
                raise Conflict("attachment_sent", f"« {attachment.file_name} » est déjà jointe à un message envoyé.")
            if attachment.state == "refused":
                why = f"« {attachment.file_name} » a été refusée par la vérification : {attachment.reason}"
                raise InvalidInput("attachment_refused", why,
                                   [ErrorDetail(why, field="attachments", code="attachment_refused")])
            found.append(attachment)
        return tuple(found)

    def _post(self, request: "Request", side: Side, author: "Profile", label: str, text: str,
              attachment_ids: list[str]) -> Message:
        from chalicelib.adapters.dynamo import TransactionRefused
        from chalicelib.domain.events import OutboxEvent

        problem = message_problem(text)
        if problem:
            raise InvalidInput("message_invalid", problem, [ErrorDetail(problem, field="text", code="message_invalid")])
        closed = thread_closed(request)
        if closed:
            raise _closed(request, closed)
        attachments = self._attachments(request, author, attachment_ids)
        now = self.requests.clock()
        message = Message(message_id=uuid.uuid4().hex, request_id=request.request_id, side=side,
                          author_account_id=author.account_id, author_label=label, text=text.strip(), at=now,
                          attachments=attachments)
        event = OutboxEvent(id=self.requests.new_event_id(), type=request_events.MESSAGE_POSTED,
                            aggregate_id=request.request_id, occurred_at=now,
                            payload={"request_id": request.request_id, "message_id": message.message_id,
                                     "side": side.value, "author_account_id": author.account_id})
        try:
            self.repo.transact(self.repo.post_items(message, request.status, event))
        except TransactionRefused as refused:
            if any(1 <= index <= len(attachments) for index in refused.failed):
                raise Conflict("attachment_changed", "Une pièce jointe a changé pendant l'envoi (refusée par la "
                                                     "vérification, ou déjà envoyée) : rechargez la page.") from None
            current = self.requests.repo.get(request.request_id)
            closed = thread_closed(current) if current else None
            if current is not None and closed:
                raise _closed(current, closed) from None
            raise Conflict("changed_meanwhile", "La demande a changé pendant l'envoi : rechargez la page, puis "
                                                "renvoyez le message.") from None
        return message


def _closed(request: "Request", refusal: str) -> Conflict:
    return Conflict("thread_closed", refusal, current={"version": request.version, "status": request.status.value,
                                                       "status_label": request.status_label})


def filer_label(caller: "Profile", request: "Request") -> str:
    """How the thread names someone of the filing side: the school and its member's first name, the
    candidate, the mediator and their structure."""
    from chalicelib.domain.accounts import Role

    first = first_name(caller)
    if caller.role == Role.AUTO_ECOLE:
        return f"{request.school_name or 'Auto-école'} ({first})"
    if caller.role == Role.MEDIATEUR:
        return f"Médiateur numérique{f' – {caller.structure_name}' if caller.structure_name else ''} ({first})"
    return f"Le candidat ({first})"


def first_name(profile: "Profile") -> str:
    """The first of a person's first names: enough to say who wrote, without their whole identity."""
    names = profile.first_names.split()
    return names[0] if names else profile.first_names
