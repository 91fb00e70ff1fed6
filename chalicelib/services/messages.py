"""A request's messages (issue 20, item 5): the filing side (school, candidate, mediator) and the
agents of its authority write on one thread; each message is emailed to the others once, by the
notifications worker, from the event committed with it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from chalicelib.domain import request_events
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput
from chalicelib.domain.messages import Message, Side, closed_problem, message_problem

if TYPE_CHECKING:
    from chalicelib.adapters.messages_repository import DynamoMessagesRepository
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.requests import Request
    from chalicelib.services.instruction import Instruction
    from chalicelib.services.requests import Requests


@dataclass
class Messages:
    requests: "Requests"
    repo: "DynamoMessagesRepository"
    # The request, if the agent's service instructs it; else the staff's 404 (Instruction.instructed).
    instructed: Callable[["Profile", str], "Request"] = field(default=lambda agent, request_id: None)  # type: ignore

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
        return self._post(request, Side.INSTRUCTION, agent, f"{request.authority()} ({agent.first_names})", text)

    # --- both ----------------------------------------------------------------------------------

    def _post(self, request: "Request", side: Side, author: "Profile", label: str, text: str) -> Message:
        from chalicelib.adapters.dynamo import TransactionRefused
        from chalicelib.domain.events import OutboxEvent

        problem = message_problem(text)
        if problem:
            raise InvalidInput("message_invalid", problem, [ErrorDetail(problem, field="text", code="message_invalid")])
        closed = closed_problem(request.status)
        if closed:
            raise Conflict("thread_closed", closed)
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
            closed = closed_problem(current.status) if current else None
            raise Conflict("thread_closed" if closed else "changed_meanwhile",
                           closed or "La demande a changé pendant l'envoi : rechargez la page, puis renvoyez le "
                                     "message.") from None
        return message


def filer_label(caller: "Profile", request: "Request") -> str:
    """How the thread names someone of the filing side: the school and its member's first name, the
    candidate, the mediator and their structure."""
    from chalicelib.domain.accounts import Role

    first = caller.first_names.split()[0] if caller.first_names.split() else caller.first_names
    if caller.role == Role.AUTO_ECOLE:
        return f"{request.school_name or 'Auto-école'} ({first})"
    if caller.role == Role.MEDIATEUR:
        return f"Médiateur numérique{f' – {caller.structure_name}' if caller.structure_name else ''} ({first})"
    return f"Le candidat ({first})"
