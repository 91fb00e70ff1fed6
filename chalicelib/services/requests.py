"""Use cases of requests being filed: create a draft (step 1), save steps 2 to 5, read it, its
summary (what is missing), and the owner's list. Only the filer sees a request: the members of
its school, or the candidate filing for themselves; anyone else gets the same 404 as for an
unknown number."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from chalicelib.adapters.requests_repository import DynamoRequestsRepository
from chalicelib.domain import requests as requests_domain
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.procedures import (MANDATE_LABELS, PROCEDURE_LABELS, Mandate, RequestStatus, check_transition,
                                          may_file)
from chalicelib.domain.requests import ProcedureStep, Request

NOT_FOUND = NotFound("request_not_found", "Aucune demande de votre espace ne porte ce numéro : vérifiez-le.")
EDITABLE = frozenset({RequestStatus.DRAFT})


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_request_number(now: datetime) -> str:
    """12 digits, like the seed's dossier numbers: year and month, then 8 random digits."""
    return f"{now:%y%m}{secrets.randbelow(10**8):08d}"


@dataclass
class Requests:
    repo: DynamoRequestsRepository
    clock: Callable[[], datetime] = field(default=lambda: utc_now())

    def create(self, caller: Profile, step: ProcedureStep) -> Request:
        if caller.role == Role.CANDIDAT and step.mandate != Mandate.SELF:
            raise InvalidInput("mandate_not_allowed", "Un candidat dépose sa demande lui-même : choisissez « candidat ».")
        if caller.role == Role.AUTO_ECOLE and step.mandate == Mandate.SELF:
            raise InvalidInput("mandate_not_allowed", "Une auto-école dépose avec un mandat papier ou sans mandat "
                               "(le candidat valide alors la demande).")
        if not may_file(step.procedure, step.mandate):
            raise InvalidInput("procedure_not_allowed", f"La démarche « {PROCEDURE_LABELS[step.procedure]} » ne se "
                               f"dépose pas en mode « {MANDATE_LABELS[step.mandate]} ».")
        now = self.clock()
        for _ in range(5):
            request = Request(request_id=new_request_number(now), procedure=step.procedure, mandate=step.mandate,
                              status=RequestStatus.DRAFT, school_id=caller.school_id if caller.role == Role.AUTO_ECOLE
                              else None, owner_account_id=caller.account_id if caller.role == Role.CANDIDAT else None,
                              created_by=caller.account_id, created_at=now, updated_at=now,
                              steps={"procedure": step.model_dump(mode="json")})
            if self.repo.create(request):
                return request
        raise Conflict("number_unavailable", "Aucun numéro de demande libre n'a été trouvé : réessayez.")

    def get(self, caller: Profile, request_id: str) -> Request:
        request = self.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        if request is None or not _visible(caller, request):
            raise NOT_FOUND
        return request

    def save_step(self, caller: Profile, request_id: str, step: Model) -> Request:
        """`step` is a validated step form (domain.requests.STEPS); it replaces the saved one."""
        name = next(n for n, form in requests_domain.STEPS.items() if isinstance(step, form))
        request = self.get(caller, request_id)
        if request.status not in EDITABLE:
            check_transition(request.status, RequestStatus.DRAFT)  # raises the 409 with the current status
        updated = request.model_copy(update={"steps": {**request.steps, name: step.model_dump(mode="json")},
                                             "updated_at": self.clock(), "version": request.version + 1})
        if not self.repo.replace(updated):
            current = self.repo.get(request_id)
            raise Conflict("changed_meanwhile", "La demande a été modifiée entre-temps (un autre poste ?) : rechargez "
                           "la page, vérifiez l'étape puis enregistrez-la de nouveau.",
                           current={"version": current.version if current else None})
        return updated

    def summary(self, caller: Profile, request_id: str) -> dict[str, Any]:
        request = self.get(caller, request_id)
        today = self.clock().date()
        return {"request": request, "missing": requests_domain.missing(request, today),
                "required_documents": requests_domain.required_documents(request, today)}

    def page(self, caller: Profile, *, limit: int, cursor: str | None, status: str | None, procedure: str | None,
             name: str | None) -> tuple[list[Request], str | None]:
        if caller.role == Role.AUTO_ECOLE and caller.school_id:
            partition = f"SCHOOL#{caller.school_id}#REQUESTS"
        elif caller.role == Role.CANDIDAT:
            partition = f"ACCOUNT#{caller.account_id}#REQUESTS"
        else:
            raise Forbidden("forbidden", "Votre compte n'a pas de demandes à lister.")
        return self.repo.page(partition, limit=limit, cursor=cursor, status=status, procedure=procedure, name=name)


def _visible(caller: Profile, request: Request) -> bool:
    if caller.role == Role.AUTO_ECOLE:
        return caller.school_id is not None and request.school_id == caller.school_id
    if caller.role == Role.CANDIDAT:
        return request.owner_account_id == caller.account_id
    return False

