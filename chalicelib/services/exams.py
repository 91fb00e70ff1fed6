"""Use cases of exams: an examiner records a result against a NEPH; a favourable practical test
issues the CEPC and opens the licence production request, in the same transaction as the result.

The result lands under the validated registration that asked for the category (a person keeps
their NEPH across registrations). Recording is one TransactWriteItems: the result (one per test,
category and day: a replay or a double click finds it there), its event (the attestation's verso
is printed again) and, for a favourable practical, the CEPC's record, the production request as a
draft with its first history row, its CEPC document (accepted: the service issued it) and the
CEPC's event (the PDF is made by the attestations worker, the candidate and school are told)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import TransactionRefused, to_item
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain import request_events
from chalicelib.domain.dates import paris_day
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.exams import (CONVOCATION_RETENTION_DAYS, TEST_LABELS, Convocation, ConvocationInput, ExamRecord,
                                     ExamResultInput, Registration, cepc_valid_until, check_result,
                                     convocation_problems, issues_cepc, production_steps, registration_for,
                                     split_convocation_id)
from chalicelib.domain.procedures import (REGISTRATION_PROCEDURES, SYSTEM_ACTOR, Category, Procedure, RequestStatus,
                                          TrainingPath, Transition)

if TYPE_CHECKING:
    from chalicelib.adapters.exams_repository import DynamoExamsRepository
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests

NEPH_UNKNOWN = NotFound("neph_unknown", "Aucun candidat inscrit ne porte ce NEPH : vérifiez les 12 chiffres sur "
                        "l'attestation d'inscription du candidat.")


def cepc_key(request_id: str, category: str) -> str:
    from chalicelib.resources import ATTESTATIONS_PREFIX

    return f"{ATTESTATIONS_PREFIX}{request_id}/cepc-{category.lower()}.pdf"


@dataclass(frozen=True)
class Recorded:
    record: ExamRecord
    registration: "Request"
    production_request_id: str | None = None  # opened by the CEPC
    cepc_valid_until: Any = None


@dataclass
class Exams:
    requests: "Requests"
    repo: "DynamoExamsRepository"

    def registrations(self, neph: str) -> list["Request"]:
        """The validated registrations of a NEPH (NotFound when there is none)."""
        found = [self.requests.repo.get(request_id) for request_id in self.repo.registration_ids(neph)]
        validated = [r for r in found if r is not None and r.neph == neph and r.procedure in REGISTRATION_PROCEDURES
                     and r.status is RequestStatus.APPROVED]
        if not validated:
            raise NEPH_UNKNOWN
        return validated

    def record(self, examiner: "Profile", result: ExamResultInput) -> Recorded:
        registrations = {r.request_id: r for r in self.registrations(result.neph)}
        chosen = registration_for([_registration(r) for r in registrations.values()], result.category)
        if chosen is None:
            asked = sorted({c for r in registrations.values() for c in _registration(r).categories})
            raise Conflict("category_not_registered", f"Ce candidat n'est pas inscrit à l'examen de la catégorie "
                           f"{result.category.value} (inscrit pour : {', '.join(asked)}). Vérifiez la catégorie ou "
                           "le NEPH.")
        registration = registrations[chosen.request_id]
        earlier = self.repo.results(registration.request_id)
        now = self.requests.clock()
        check_result(result, chosen, earlier, paris_day(now))
        record = ExamRecord(request_id=registration.request_id, recorded_at=now, recorded_by=examiner.account_id,
                            **result.model_dump())
        event = self.requests.event_for(request_events.EXAM_RESULT_RECORDED, registration, now, neph=result.neph,
                                        test=result.test.value, category=result.category.value,
                                        outcome=result.outcome.value, day=result.day.isoformat())
        items = [self.repo.result_item(record, registration.candidate_name()), outbox_put(self.repo.table, event)]
        production = None
        valid_until = None
        if issues_cepc(result):
            valid_until = cepc_valid_until(result.day)
            production = self._production_request(registration, result, now)
            items += self._cepc_items(registration, production, record, valid_until, now)
        try:
            self.requests.repo.transact(items)
        except TransactionRefused as refused:
            if 0 in refused.failed:
                raise Conflict("exam_result_exists", f"Le résultat de cette épreuve ({record.label.split(' : ')[0]}) "
                               "est déjà enregistré : il ne se saisit qu'une fois.") from None
            raise Conflict("cepc_already_issued", "Le CEPC de cette catégorie est déjà délivré.") from None
        return Recorded(record=record, registration=registration,
                        production_request_id=production.request_id if production else None,
                        cepc_valid_until=valid_until)

    def _production_request(self, registration: "Request", result: ExamResultInput, now: datetime) -> "Request":
        from chalicelib.domain.requests import Request
        from chalicelib.services.requests import new_request_number

        steps = production_steps(registration.steps, result.category, result.still_follows_aac)
        steps["procedure"] = {"procedure": Procedure.LICENCE_AFTER_EXAM.value, "mandate": registration.mandate.value}
        return Request(request_id=new_request_number(now), procedure=Procedure.LICENCE_AFTER_EXAM,
                       mandate=registration.mandate, status=RequestStatus.DRAFT, school_id=registration.school_id,
                       school_name=registration.school_name, owner_account_id=registration.owner_account_id,
                       candidate_account_id=registration.candidate_account_id, created_by=registration.created_by,
                       created_at=now, updated_at=now, steps=steps, neph=registration.neph,
                       opened_from=registration.request_id)

    def _cepc_items(self, registration: "Request", production: "Request", record: ExamRecord, valid_until,
                    now: datetime) -> list[dict[str, Any]]:
        category = record.category.value
        opened = Transition(from_status=None, to_status=RequestStatus.DRAFT, actor_account_id=None,
                            actor_role=SYSTEM_ACTOR, at=now,
                            reason=f"Ouverte par le CEPC de la catégorie {category} (épreuve pratique du "
                                   f"{record.day:%d/%m/%Y}, inscription n° {registration.request_id}) : vérifiez-la, "
                                   "donnez un code ePhoto et les pièces demandées, puis déposez-la.")
        issued = self.requests.event_for(request_events.CEPC_ISSUED, registration, now, neph=record.neph,
                                         category=category, valid_until=valid_until.isoformat(),
                                         production_request_id=production.request_id, exam_day=record.day.isoformat())
        key = cepc_key(registration.request_id, category)
        document = {"Put": {"TableName": self.repo.table, "Item": to_item({
            "pk": f"REQUEST#{production.request_id}", "sk": "DOC#cepc", "entity": "document",
            "request_id": production.request_id, "document": "cepc", "key": key, "clean_key": key,
            "content_type": "application/pdf", "state": "accepted", "issued_by_service": True,
            "checked_at": now.isoformat(), "updated_at": now.isoformat()})}}
        return [*self.requests.repo.change_items(production, [opened], [issued], new=True),
                self.repo.cepc_item(registration.request_id, category, {
                    "production_request_id": production.request_id, "valid_until": valid_until.isoformat(),
                    "exam_day": record.day.isoformat(), "key": key}),
                document]

    # --- reading ---------------------------------------------------------------------------

    def results_for(self, caller: "Profile", request_id: str) -> tuple["Request", list[ExamRecord], list[dict]]:
        """A registration's results and CEPCs, for its school or its candidate."""
        request = self.requests.get(caller, request_id)
        return request, self.repo.results(request_id), self.repo.cepcs(request_id)

    def cepcs_for(self, caller: "Profile", request_id: str) -> tuple["Request", list[dict]]:
        """A registration's CEPCs alone (a download needs no results), for its school or candidate."""
        return self.requests.get(caller, request_id), self.repo.cepcs(request_id)

    def day_sheet(self, day, centre: str) -> tuple[Any, list[tuple[ExamRecord, str]], list[Convocation]]:
        """What was recorded at a centre on a day (today in Paris by default; every examiner's),
        with the candidates' names, and who is convened there that day (by time)."""
        day = day or paris_day(self.requests.clock())
        results, convened = self.repo.day_sheet(day, centre)
        return day, results, sorted(convened, key=lambda c: (c.time, c.candidate_name))

    # --- convocations ----------------------------------------------------------------------

    def convene(self, school: "Profile", request_id: str, wanted: ConvocationInput) -> Convocation:
        """The school convenes its candidate (a validated registration) to a test at a centre."""
        from datetime import timedelta

        from chalicelib.domain.errors import InvalidInput

        registration = self._convocable(school, request_id)
        now = self.requests.clock()
        problems = convocation_problems(wanted, _registration(registration).categories, paris_day(now))
        if problems:
            raise InvalidInput("convocation_invalid", "La convocation est incomplète : corrigez les champs indiqués.",
                               problems)
        convocation = Convocation(request_id=request_id, neph=registration.neph or "",
                                  candidate_name=registration.candidate_name(),
                                  school_name=registration.school_name or "", convened_by=school.account_id,
                                  convened_at=now, **wanted.model_dump())
        expires = datetime.combine(wanted.day, datetime.min.time(), tzinfo=now.tzinfo) \
            + timedelta(days=CONVOCATION_RETENTION_DAYS)
        if not self.repo.put_convocation(convocation, int(expires.timestamp())):
            raise Conflict("convocation_exists", f"Le candidat est déjà convoqué à l'{TEST_LABELS[wanted.test].lower()} "
                           f"{wanted.category.value} le {wanted.day:%d/%m/%Y} : annulez cette convocation pour en changer.")
        return convocation

    def convocations_for(self, caller: "Profile", request_id: str) -> list[Convocation]:
        """A registration's convocations, for its school, its candidate or their mediator."""
        self.requests.get(caller, request_id)
        return self.repo.convocations(request_id)

    def cancel_convocation(self, school: "Profile", request_id: str, convocation_id: str) -> None:
        """Until the day before the test: the centre gives the place to another candidate."""
        from chalicelib.domain.errors import NotFound

        self._convocable(school, request_id)
        found = split_convocation_id(convocation_id)
        gone = NotFound("convocation_not_found", "Cette convocation n'existe pas (ou a déjà été annulée).")
        if found is None:
            raise gone
        day, test, category = found
        if day <= paris_day(self.requests.clock()):
            raise Conflict("convocation_too_late", f"L'épreuve est le {day:%d/%m/%Y} : une convocation s'annule au "
                           "plus tard la veille. Prévenez le centre d'examen.")
        if not self.repo.delete_convocation(request_id, day, test.value, category.value):
            raise gone

    def _convocable(self, school: "Profile", request_id: str) -> "Request":
        from chalicelib.services.requests import convocable

        request = self.requests.get(school, request_id)
        if not convocable(request):
            raise Conflict("not_convocable", f"La demande n° {request_id} est au statut « {request.status_label} » : "
                           "seule une inscription validée (le candidat a son NEPH) se convoque à une épreuve.",
                           current={"status": request.status.value, "status_label": request.status_label})
        return request

    def for_examiner(self, neph: str) -> list[tuple["Request", list[ExamRecord], list[dict]]]:
        """A NEPH's validated registrations, each with its results and CEPCs."""
        return [(r, self.repo.results(r.request_id), self.repo.cepcs(r.request_id)) for r in self.registrations(neph)]


def _registration(request: "Request") -> Registration:
    categories = request.steps.get("categories") or {}
    return Registration(request_id=request.request_id,
                        categories=tuple(Category(c) for c in categories.get("categories", ())),
                        training_path=TrainingPath(categories.get("training_path", TrainingPath.TRADITIONAL.value)),
                        has_licence=bool(categories.get("has_licence")))
