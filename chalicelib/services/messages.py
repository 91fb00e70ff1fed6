"""A request's messages (issue 20, item 5): the filing side (school, candidate, mediator) and the
agents of its authority write on one thread; each message is emailed to the others once, by the
notifications worker, from the event committed with it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from chalicelib.domain import request_events
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput
from chalicelib.domain.messages import Message, Side, message_problem, thread_closed

if TYPE_CHECKING:
    from chalicelib.adapters.messages_repository import DynamoMessagesRepository
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests


@dataclass
class Messages:
    requests: "Requests"
    repo: "DynamoMessagesRepository"
    # The request, if the agent's service instructs it; else the staff's 404 (Instruction.instructed).
    instructed: Callable[["Profile", str], "Request"]

    # --- the filing side -----------------------------------------------------------------------

    def thread_for_filer(self, caller: "Profile", request_id: str) -> tuple["Request", list[Message]]:
        """The thread, for the request's school, candidate or mediator (404 for anyone else)."""
        request = self.requests.get(caller, request_id)
        return request, self.repo.thread(request_id)

    def post_as_filer(self, caller: "Profile", request_id: str, text: str) -> Message:
        request = self.requests.get(caller, request_id)
        return self._post(request, Side.FILING, caller, filer_label(caller, request), text)

    # --- the instruction side ------------------------------------------------------------------

    def thread_for_agent(self, agent: "Profile", request_id: str) -> tuple["Request", list[Message]]:
        request = self.instructed(agent, request_id)
        return request, self.repo.thread(request_id)

    def post_as_agent(self, agent: "Profile", request_id: str, text: str) -> Message:
        request = self.instructed(agent, request_id)
        return self._post(request, Side.INSTRUCTION, agent, f"{request.authority()} ({first_name(agent)})", text)

    # --- both ----------------------------------------------------------------------------------

    def _post(self, request: "Request", side: Side, author: "Profile", label: str, text: str) -> Message:
        from chalicelib.adapters.dynamo import TransactionRefused
        from chalicelib.domain.events import OutboxEvent

        problem = message_problem(text)
        if problem:
            raise InvalidInput("message_invalid", problem, [ErrorDetail(problem, field="text", code="message_invalid")])
        closed = thread_closed(request)
        if closed:
            raise _closed(request, closed)
        now = self.requests.clock()
        message = Message(message_id=uuid.uuid4().hex, request_id=request.request_id, side=side,
                          author_account_id=author.account_id, author_label=label, text=text.strip(), at=now)
        event = OutboxEvent(id=self.requests.new_event_id(), type=request_events.MESSAGE_POSTED,
                            aggregate_id=request.request_id, occurred_at=now,
                            payload={"request_id": request.request_id, "message_id": message.message_id,
                                     "side": side.value, "author_account_id": author.account_id})
        try:
            self.repo.transact(self.repo.post_items(message, request.status, event))
        except TransactionRefused:
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
