"""Exams: examiners record results against a NEPH (and see a candidate's earlier ones); schools
and candidates see the results of their registration and download the CEPC."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.api.requests import FILERS, RECEIPT_LINK_SECONDS, Download
from chalicelib.api.staff import Message
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.exams import OUTCOME_LABELS, TEST_LABELS, ConvocationInput, ExamRecord, ExamResultInput

blueprint = Routes(__name__)
TAGS = ("examens",)
EXAMINERS = (Role.INSPECTEUR.value,)


class ExamResultView(Model):
    day: date
    centre: str
    examiner: str
    test: str
    test_label: str
    category: str
    outcome: str
    outcome_label: str
    still_follows_aac: bool | None
    recorded_at: datetime


class CepcView(Model):
    category: str
    exam_day: date
    valid_until: date
    production_request_id: str = Field(description="La demande de fabrication du titre ouverte par le CEPC")


class RecordedAnswer(Model):
    result: ExamResultView
    registration_id: str
    candidate_name: str
    cepc: CepcView | None = Field(description="Délivré après une épreuve pratique favorable")
    message: str


class ExamsView(Model):
    request_id: str
    neph: str | None
    candidate_name: str
    categories: list[str] = Field(description="Les catégories de l'inscription")
    aac: bool = Field(description="Apprentissage anticipé de la conduite : l'épreuve pratique demande s'il le suit "
                                  "toujours")
    results: list[ExamResultView]
    cepcs: list[CepcView]


class CandidateExams(Model):
    neph: str
    registrations: list[ExamsView]


def result_view(record: ExamRecord) -> ExamResultView:
    return ExamResultView(day=record.day, centre=record.centre, examiner=record.examiner, test=record.test.value,
                          test_label=TEST_LABELS[record.test], category=record.category.value,
                          outcome=record.outcome.value, outcome_label=OUTCOME_LABELS[record.outcome],
                          still_follows_aac=record.still_follows_aac, recorded_at=record.recorded_at)


def _cepc_view(item: dict) -> CepcView:
    return CepcView(category=item["category"], exam_day=item["exam_day"], valid_until=item["valid_until"],
                    production_request_id=item["production_request_id"])


def _exams_view(request, results: list[ExamRecord], cepcs: list[dict]) -> ExamsView:
    from chalicelib.domain.procedures import TrainingPath

    chosen = request.steps.get("categories") or {}
    return ExamsView(request_id=request.request_id, neph=request.neph, candidate_name=request.candidate_name(),
                     categories=list(chosen.get("categories", [])),
                     aac=chosen.get("training_path") == TrainingPath.AAC.value,
                     results=[result_view(r) for r in results], cepcs=[_cepc_view(c) for c in cepcs])


@route(blueprint, "/staff/exams/results", method="POST", summary="Enregistrer le résultat d'une épreuve",
       tags=TAGS, request_model=ExamResultInput, response_model=RecordedAnswer, status=201, errors=(404, 409),
       roles=EXAMINERS,
       description="Contre le NEPH du candidat. Une épreuve pratique favorable délivre le CEPC (valable 4 mois) et "
                   "ouvre la demande de fabrication du titre, en brouillon, pour l'auto-école ou le candidat. Un "
                   "résultat ne s'enregistre qu'une fois par épreuve, catégorie et jour.")
def record_result(caller: Profile, body: ExamResultInput) -> RecordedAnswer:
    recorded = wiring.exams_service().record(caller, body)
    cepc = None
    message = f"Résultat enregistré : {recorded.record.label}."
    if recorded.production_request_id:
        cepc = CepcView(category=body.category.value, exam_day=body.day, valid_until=recorded.cepc_valid_until,
                        production_request_id=recorded.production_request_id)
        message += (f" Le CEPC est délivré (valable jusqu'au {recorded.cepc_valid_until:%d/%m/%Y}) et la demande de "
                    f"fabrication du titre n° {recorded.production_request_id} est ouverte.")
    return RecordedAnswer(result=result_view(recorded.record), registration_id=recorded.registration.request_id,
                          candidate_name=recorded.registration.candidate_name(), cepc=cepc, message=message)


class SheetRow(Model):
    neph: str
    candidate_name: str
    result: ExamResultView


class ConvocationView(Model):
    convocation_id: str = Field(description="Pour l'annuler (DELETE), jusqu'à la veille")
    request_id: str
    neph: str
    candidate_name: str
    school_name: str
    test: str
    test_label: str
    category: str
    centre: str
    day: date
    time: str = Field(description="HH:MM, heure de Paris")


class ConvenedRow(ConvocationView):
    recorded: bool = Field(description="true : le résultat de cette épreuve est déjà saisi ce jour")


class DaySheet(Model):
    day: date
    centre: str
    rows: list[SheetRow]
    convened: list[ConvenedRow] = Field(description="Les candidats convoqués au centre ce jour-là, par heure")


class Convocations(Model):
    convocations: list[ConvocationView] = Field(description="Par jour")


def _convocation_view(convocation) -> dict:
    return {"convocation_id": convocation.convocation_id, "request_id": convocation.request_id,
            "neph": convocation.neph, "candidate_name": convocation.candidate_name,
            "school_name": convocation.school_name, "test": convocation.test.value,
            "test_label": TEST_LABELS[convocation.test], "category": convocation.category.value,
            "centre": convocation.centre, "day": convocation.day, "time": convocation.time}


@route(blueprint, "/staff/exams/day", summary="La feuille du jour d'un centre d'examen", tags=TAGS,
       response_model=DaySheet, errors=(422,), roles=EXAMINERS, query=("centre", "date"),
       description="Les candidats convoqués au centre ce jour-là (par heure, avec l'état de leur saisie) et les "
                   "résultats enregistrés (par tous les examinateurs), dans l'ordre de saisie, avec le nom du candidat. centre (exigé ; accents, majuscules et tirets indifférents) ; "
                   "date (AAAA-MM-JJ, aujourd'hui par défaut).")
def day_sheet() -> DaySheet:
    from chalicelib.domain.errors import ErrorDetail, InvalidInput
    from chalicelib.domain.exams import MAX_CENTRE

    params = blueprint.current_request.query_params or {}
    centre = (params.get("centre") or "").strip()
    problems = []
    if not 2 <= len(centre) <= MAX_CENTRE:
        problems.append(ErrorDetail(f"Indiquez le centre d'examen (2 à {MAX_CENTRE} caractères).", field="centre",
                                    code="centre_invalid"))
    day = None
    try:
        day = date.fromisoformat(params["date"]) if params.get("date") else None
    except ValueError:
        problems.append(ErrorDetail("Une date s'écrit AAAA-MM-JJ, par exemple 2026-12-07.", field="date",
                                    code="date_invalid"))
    if problems:
        raise InvalidInput("day_sheet_invalid", "La feuille du jour demandée est incorrecte : corrigez les champs "
                                                "indiqués.", problems)
    day, rows, convened = wiring.exams_service().day_sheet(day, centre)
    done = {(record.request_id, record.test, record.category) for record, _ in rows}
    return DaySheet(day=day, centre=centre,
                    rows=[SheetRow(neph=record.neph, candidate_name=name, result=result_view(record))
                          for record, name in rows],
                    convened=[ConvenedRow(**_convocation_view(c), recorded=(c.request_id, c.test, c.category) in done)
                              for c in convened])


@route(blueprint, "/staff/exams/{neph}", summary="Les inscriptions et résultats d'un NEPH (avant l'épreuve)",
       tags=TAGS, response_model=CandidateExams, errors=(404,), roles=EXAMINERS)
def candidate_exams(neph: str) -> CandidateExams:
    from chalicelib.services.exams import NEPH_UNKNOWN

    neph = "".join(neph.split())
    if not (neph.isdigit() and len(neph) == 12):
        raise NEPH_UNKNOWN
    return CandidateExams(neph=neph, registrations=[
        _exams_view(request, results, cepcs) for request, results, cepcs in wiring.exams_service().for_examiner(neph)])


@route(blueprint, "/requests/{request_id}/exams", summary="Les résultats d'examen de l'inscription et ses CEPC",
       tags=TAGS, response_model=ExamsView, errors=(404,), roles=FILERS)
def request_exams(caller: Profile, request_id: str) -> ExamsView:
    return _exams_view(*wiring.exams_service().results_for(caller, request_id))


@route(blueprint, "/requests/{request_id}/cepc/{category}", summary="Télécharger le CEPC d'une catégorie (lien "
       "d'une minute)", tags=TAGS, response_model=Download, errors=(404, 409), roles=FILERS,
       description="Le certificat d'examen du permis de conduire, délivré après une épreuve pratique favorable ; son "
                   "QR code se vérifie sur /verification.")
def download_cepc(caller: Profile, request_id: str, category: str) -> Download:
    from datetime import timedelta, timezone

    from chalicelib.domain.errors import Conflict

    request, cepcs = wiring.exams_service().cepcs_for(caller, request_id)
    cepc = next((c for c in cepcs if c["category"] == category.upper()), None)
    if cepc is None:
        raise Conflict("cepc_not_available", f"Aucun CEPC de la catégorie {category.upper()} : il est délivré après "
                       "la réussite à l'épreuve pratique de cette catégorie.",
                       current={"status": request.status.value, "status_label": request.status_label})
    issued = wiring.requests_repository().issued(request_id, f"CEPC-{cepc['category']}")
    if issued is None:
        raise Conflict("cepc_not_ready", "Le CEPC est en préparation : réessayez dans quelques secondes.",
                       current={"status": request.status.value, "status_label": request.status_label})
    url = wiring.presigned_download(issued["key"], f"cepc-{cepc['category'].lower()}-{request.neph}.pdf",
                                    RECEIPT_LINK_SECONDS)
    return Download(url=url, expires_at=datetime.now(timezone.utc) + timedelta(seconds=RECEIPT_LINK_SECONDS))


@route(blueprint, "/requests/{request_id}/convocations", method="POST", summary="Convoquer le candidat à une épreuve",
       tags=TAGS, request_model=ConvocationInput, response_model=ConvocationView, status=201, errors=(404, 409),
       roles=(Role.AUTO_ECOLE.value,),
       description="Pour une inscription validée de l'auto-école (le candidat a son NEPH) : l'épreuve, la catégorie, "
                   "le centre, le jour et l'heure de la place obtenue. L'examinateur la voit sur la feuille du jour du "
                   "centre. 409 not_convocable (inscription non validée), convocation_exists (déjà convoqué à cette "
                   "épreuve ce jour) ; 422 convocation_invalid (catégorie hors inscription, jour passé ou trop lointain).")
def convene(caller: Profile, request_id: str, body: ConvocationInput) -> ConvocationView:
    return ConvocationView(**_convocation_view(wiring.exams_service().convene(caller, request_id, body)))


@route(blueprint, "/requests/{request_id}/convocations", summary="Les convocations du candidat aux épreuves",
       tags=TAGS, response_model=Convocations, errors=(404,), roles=FILERS)
def convocations(caller: Profile, request_id: str) -> Convocations:
    return Convocations(convocations=[ConvocationView(**_convocation_view(c))
                                      for c in wiring.exams_service().convocations_for(caller, request_id)])


@route(blueprint, "/requests/{request_id}/convocations/{convocation_id}", method="DELETE", tags=TAGS,
       summary="Annuler une convocation (jusqu'à la veille)", response_model=Message, errors=(404, 409),
       roles=(Role.AUTO_ECOLE.value,))
def cancel_convocation(caller: Profile, request_id: str, convocation_id: str) -> Message:
    wiring.exams_service().cancel_convocation(caller, request_id, convocation_id)
    return Message(message="Convocation annulée : le centre d'examen peut donner la place à un autre candidat.")
