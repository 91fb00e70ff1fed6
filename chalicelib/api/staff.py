"""Agents' routes (the agents' console and the `permis-agent` command call these): claim the next
request of one's queue, examine it with its documents and pre-checks, extend or release the claim,
decide. Administrators of the prefecture: queue health, who read a request, dead letters."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.api.requests import Download, HistoryRow, history_rows
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("instruction",)
INSTRUCTORS = (Role.INSTRUCTEUR_DDT.value, Role.INSTRUCTEUR_CERT.value)
ADMINISTRATORS = (Role.PREFECTURE.value,)


class ClaimView(Model):
    agent_name: str
    lease_until: datetime
    mine: bool


class StaffDocument(Model):
    document: str
    label: str
    state: str
    state_label: str
    refusal: str | None = None
    can_open: bool = Field(description="true : une pièce acceptée, à ouvrir par /documents/{document}")


class PreCheckView(Model):
    code: str
    label: str
    ok: bool | None = Field(description="true : conforme ; false : à regarder ; null : pour information")
    detail: str


class StaffRequestView(Model):
    request_id: str
    procedure: str
    procedure_label: str
    authority: str | None
    status: str
    status_label: str
    version: int
    candidate_name: str
    school_name: str | None
    submitted_at: datetime | None
    queued_at: datetime | None
    returning: bool = Field(description="Revenue après un complément : servie avant les nouvelles demandes")
    neph: str | None
    steps: dict[str, dict[str, Any]]
    documents: list[StaffDocument]
    pre_checks: list[PreCheckView]
    claim: ClaimView | None = Field(description="Qui instruit la demande en ce moment, jusqu'à quand")
    history: list[HistoryRow]


class NextAnswer(Model):
    request: StaffRequestView | None
    message: str


class DecisionInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    version: int = Field(ge=1, description="La version lue : une demande modifiée entre-temps est refusée (409)")
    decision: Literal["valider", "complement", "rejeter"]
    reasons: list[str] = Field(default_factory=list, max_length=10,
                               description="Motifs choisis dans la liste (GET /staff/reasons)")
    comment: str | None = Field(default=None, max_length=2000, description="Texte libre, exigé avec le motif « autre »")
    documents: list[str] = Field(default_factory=list, max_length=20,
                                 description="Complément : les pièces à remplacer")
    acknowledged: list[str] = Field(default_factory=list, max_length=10,
                                    description="Validation : les codes des contrôles « À vérifier » (ok false) que "
                                                "vous avez vérifiés ; tant qu'un manque, la validation est refusée "
                                                "(422 checks_not_acknowledged, chaque point dans details)")


class NoteInput(Model):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=4000, description="La note (2000 caractères au plus), vue des seuls agents du "
                                                   "service qui instruit la demande")


class NoteView(Model):
    note_id: str
    agent_name: str
    at: datetime
    text: str


class Notes(Model):
    notes: list[NoteView]


class Message(Model):
    message: str


class Reason(Model):
    code: str
    label: str


class Reasons(Model):
    complement: list[Reason]
    rejection: list[Reason]


class DayView(Model):
    day: str
    decisions: int


class QueueHealthView(Model):
    authority: str
    waiting: int = Field(description="Nouvelles demandes en attente")
    returning_waiting: int = Field(description="Demandes revenues d'un complément, en attente")
    claimed: int = Field(description="Demandes prises en charge en ce moment")
    oldest_queued_at: datetime | None
    oldest_request_id: str | None
    oldest_age_hours: float | None
    decisions_by_day: list[DayView]
    median_delay_hours: float | None = Field(description="Délai médian du dépôt à la décision, sur 7 jours")


class ReadView(Model):
    at: datetime
    agent_name: str
    role: str
    what: str


class Reads(Model):
    reads: list[ReadView]


class DeadLetterView(Model):
    message_id: str
    request_id: str | None
    receive_count: int
    sent_at: datetime | None
    request_status: str | None = None


class DeadLetters(Model):
    authority: str
    dead_letters: list[DeadLetterView]


class Redriven(Model):
    moved: int
    message: str


def staff_view(examination, viewer: Profile) -> StaffRequestView:
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType
    from chalicelib.domain.status_texts import Audience
    from chalicelib.services.documents import STATE_LABELS

    request, claim = examination.request, examination.claim
    documents = []
    for name, record in sorted(examination.documents.items()):
        label = DOCUMENT_LABELS.get(DocumentType(name), name) if name in DocumentType._value2member_map_ else name
        documents.append(StaffDocument(document=name, label=label, state=record.get("state", ""),
                                       state_label=STATE_LABELS.get(record.get("state", ""), "À fournir"),
                                       refusal=record.get("reason"),
                                       can_open=record.get("state") == "accepted" and bool(record.get("clean_key"))))
    return StaffRequestView(
        request_id=request.request_id, procedure=request.procedure.value, procedure_label=request.procedure_label,
        authority=request.authority(), status=request.status.value, status_label=request.status_label,
        version=request.version, candidate_name=request.candidate_name(), school_name=request.school_name,
        submitted_at=request.submitted_at, queued_at=request.queued_at, returning=request.returning,
        neph=request.neph, steps=request.steps, documents=documents,
        pre_checks=[PreCheckView(code=c.code, label=c.label, ok=c.ok, detail=c.detail) for c in examination.pre_checks],
        claim=ClaimView(agent_name=claim.agent_name, lease_until=claim.lease_until,
                        mine=claim.agent_id == viewer.account_id) if claim else None,
        history=history_rows(examination.history, Audience.AGENT))  # the official names


@route(blueprint, "/staff/reasons", summary="Les motifs de complément et de rejet", tags=TAGS,
       response_model=Reasons, roles=INSTRUCTORS)
def reasons() -> Reasons:
    from chalicelib.domain.instruction import COMPLEMENT_REASONS, REJECTION_REASONS

    return Reasons(complement=[Reason(code=c, label=label) for c, label in COMPLEMENT_REASONS.items()],
                   rejection=[Reason(code=c, label=label) for c, label in REJECTION_REASONS.items()])


@route(blueprint, "/staff/claims", method="POST", summary="Prendre en charge la demande suivante de ma file",
       tags=TAGS, response_model=NextAnswer, errors=(403,), roles=INSTRUCTORS,
       description="Les demandes revenues d'un complément d'abord, puis les autres dans l'ordre d'arrivée. La "
                   "demande vous est réservée 15 minutes (prolongeables) ; aucun autre agent ne la reçoit.")
def claim_next(caller: Profile) -> NextAnswer:
    examination = wiring.instruction_service().claim_next(caller)
    if examination is None:
        return NextAnswer(request=None, message="Aucune demande en attente dans votre file.")
    return NextAnswer(request=staff_view(examination, caller),
                      message=f"Demande {examination.request.request_id} prise en charge.")


@route(blueprint, "/staff/requests/{request_id}", summary="Examiner une demande (pièces, contrôles automatiques)",
       tags=TAGS, response_model=StaffRequestView, errors=(404,), roles=INSTRUCTORS,
       description="Chaque consultation est enregistrée (qui, quoi, quand).")
def examine(caller: Profile, request_id: str) -> StaffRequestView:
    return staff_view(wiring.instruction_service().examine(caller, request_id), caller)


class StaffFile(Download):
    view_url: str = Field(description="Le même fichier, affiché dans la page (inline) : une image dans <img>, un "
                                      "PDF dans un cadre ; lien d'une minute lui aussi")
    content_type: str = Field(description="image/jpeg, image/png ou application/pdf")


@route(blueprint, "/staff/requests/{request_id}/documents/{document}", summary="Ouvrir une pièce (lien d'une minute)",
       tags=TAGS, response_model=StaffFile, errors=(404, 409, 503), roles=INSTRUCTORS,
       description="La consultation de la pièce est enregistrée : url la télécharge, view_url l'affiche dans la "
                   "page. document vaut aussi ephoto-photo et ephoto-signature : la photo et la signature que "
                   "l'opérateur ePhoto donne pour le code de la demande, demandées à la première consultation "
                   "(409 ephoto_pending quelques secondes, le temps de les recevoir et de les vérifier), puis "
                   "gardées avec la demande. 404 ephoto_missing (aucun code), ephoto_not_found (code inconnu de "
                   "l'opérateur) ; 503 ephoto_unavailable (l'opérateur ne répond pas : en-tête Retry-After).")
def open_document(caller: Profile, request_id: str, document: str) -> StaffFile:
    url, view_url, content_type, expires_at = wiring.instruction_service().document_link(caller, request_id, document)
    return StaffFile(url=url, view_url=view_url, content_type=content_type, expires_at=expires_at)


@route(blueprint, "/staff/requests/{request_id}/extend", method="POST", summary="Prolonger ma prise en charge",
       tags=TAGS, response_model=ClaimView, errors=(404, 409), roles=INSTRUCTORS)
def extend(caller: Profile, request_id: str) -> ClaimView:
    claim = wiring.instruction_service().extend(caller, request_id)
    return ClaimView(agent_name=claim.agent_name, lease_until=claim.lease_until, mine=True)


@route(blueprint, "/staff/requests/{request_id}/release", method="POST", summary="Libérer la demande",
       tags=TAGS, response_model=Message, errors=(404, 409), roles=INSTRUCTORS,
       description="La demande retourne dans la file, proposée à l'agent suivant tout de suite.")
def release(caller: Profile, request_id: str) -> Message:
    wiring.instruction_service().release(caller, request_id)
    return Message(message=f"Demande {request_id} libérée : elle retourne dans la file.")


class DecisionAnswer(Model):
    request_id: str
    status: str
    status_label: str
    version: int
    neph: str | None
    message: str


@route(blueprint, "/staff/requests/{request_id}/decision", method="POST", summary="Décider : valider, demander un "
       "complément ou rejeter", tags=TAGS, request_model=DecisionInput, response_model=DecisionAnswer,
       errors=(404, 409, 503), roles=INSTRUCTORS,
       description="Sur une demande que vous avez prise en charge. Valider une inscription attribue le NEPH ; un "
                   "complément nomme les pièces à remplacer et ses motifs ; un rejet, ses motifs. 503 "
                   "neph_exhausted : les numéros NEPH du département sont épuisés pour le mois, rien n'est "
                   "enregistré (en-tête Retry-After). 422 checks_not_acknowledged : une validation doit "
                   "nommer dans acknowledged chaque contrôle « À vérifier » (doublon de NEPH possible, identité "
                   "divergente, âge...) ; ils sont gardés dans l'historique des agents.")
def decide(caller: Profile, request_id: str, body: DecisionInput) -> DecisionAnswer:
    from chalicelib.domain.instruction import DecisionKind

    decided = wiring.instruction_service().decide(caller, request_id, body.version, DecisionKind(body.decision),
                                                  body.reasons, comment=body.comment, documents=body.documents,
                                                  acknowledged=body.acknowledged)
    message = f"Décision enregistrée : {decided.status_label}" + (
        f" ; NEPH {decided.neph}." if decided.neph else ".")
    return DecisionAnswer(request_id=decided.request_id, status=decided.status.value,
                          status_label=decided.status_label, version=decided.version, neph=decided.neph,
                          message=message)


class DossierAsked(Model):
    dossier_id: str
    message: str


@route(blueprint, "/staff/requests/{request_id}/dossier", method="POST", summary="Demander la demande entière en "
       "un PDF", tags=TAGS, response_model=DossierAsked, errors=(404,), roles=INSTRUCTORS, status=202,
       description="État civil, étapes, pièces, historique et décisions, pour le dossier. Fait en quelques secondes "
                   "par le service des documents : GET .../dossier/{dossier_id} donne le lien une fois prêt.")
def ask_dossier(caller: Profile, request_id: str) -> DossierAsked:
    dossier_id = wiring.instruction_service().ask_dossier(caller, request_id)
    return DossierAsked(dossier_id=dossier_id, message="Le dossier est en préparation : il sera prêt dans quelques "
                                                       "secondes.")


@route(blueprint, "/staff/requests/{request_id}/dossier/{dossier_id}", summary="Télécharger le dossier PDF demandé "
       "(lien d'une minute)", tags=TAGS, response_model=Download, errors=(404, 409), roles=INSTRUCTORS,
       description="409 dossier_pending tant qu'il est en préparation. La consultation est enregistrée.")
def dossier(caller: Profile, request_id: str, dossier_id: str) -> Download:
    url, expires_at = wiring.instruction_service().dossier_link(caller, request_id, dossier_id)
    return Download(url=url, expires_at=expires_at)


def _note_view(note) -> NoteView:
    return NoteView(note_id=note.note_id, agent_name=note.agent_name, at=note.at, text=note.text)


@route(blueprint, "/staff/requests/{request_id}/notes", summary="Les notes internes d'une demande", tags=TAGS,
       response_model=Notes, errors=(404,), roles=INSTRUCTORS,
       description="Les notes des agents du service qui instruit la demande, des plus anciennes aux plus récentes ; "
                   "jamais montrées au demandeur.")
def notes(caller: Profile, request_id: str) -> Notes:
    return Notes(notes=[_note_view(note) for note in wiring.instruction_service().notes(caller, request_id)])


@route(blueprint, "/staff/requests/{request_id}/notes", method="POST", summary="Ajouter une note interne",
       tags=TAGS, request_model=NoteInput, response_model=NoteView, errors=(404,), roles=INSTRUCTORS, status=201,
       description="Quel que soit le statut de la demande, sans la prendre en charge ; 422 note_invalid pour une "
                   "note vide ou trop longue.")
def add_note(caller: Profile, request_id: str, body: NoteInput) -> NoteView:
    return _note_view(wiring.instruction_service().add_note(caller, request_id, body.text))


class WorkRowView(Model):
    request_id: str
    procedure: str
    procedure_label: str
    candidate_name: str
    submitted_at: datetime | None
    since: datetime | None = Field(description="Entrée dans la file (à traiter, en cours), complément demandé "
                                                "(complement), décision (traités)")
    claim: ClaimView | None = Field(description="Qui la tient en ce moment, jusqu'à quand")
    decision: str | None = Field(description="Traités : valider, complement ou rejeter")
    decided_by: str | None
    message_waiting: bool = Field(description="true : le demandeur a écrit en dernier sur le fil de la demande, il "
                                              "attend une réponse (à traiter, complément demandé, recherche)")


class Worklist(Model):
    authority: str
    tab: str
    rows: list[WorkRowView]
    next_cursor: str | None = Field(description="La page suivante : cursor=<next_cursor> ; null à la fin")
    procedures: list[Reason] = Field(description="Les démarches, pour le filtre procedure (code et libellé)")


WORKLIST_QUERY = ("onglet", "procedure", "nom", "attente", "ordre", "limit", "cursor")


@route(blueprint, "/staff/worklist", summary="La liste des demandes de mon service, par onglet", tags=TAGS,
       response_model=Worklist, errors=(403, 422), roles=INSTRUCTORS, query=WORKLIST_QUERY,
       description="onglet : a-traiter (défaut ; qui la tient), en-cours, complement, traites (30 derniers jours) ; "
                   "procedure ; nom (du candidat) ; attente (en attente depuis plus de N jours, 1 à 365) ; ordre "
                   "(ancien, défaut, ou recent ; les traités vont des plus récents aux plus anciens) ; limit (1 à "
                   "100, 20 par défaut) ; cursor. Chaque onglet est lu dans son index, jamais par un parcours de "
                   "la table.")
def worklist(caller: Profile) -> Worklist:
    from chalicelib.api.requests import PAGE_SIZES
    from chalicelib.domain.errors import ErrorDetail, InvalidInput
    from chalicelib.domain.instruction import MAX_WAITING_DAYS, WorklistTab
    from chalicelib.domain.procedures import Procedure

    params = blueprint.current_request.query_params or {}
    problems = []
    tab = WorklistTab._value2member_map_.get(params.get("onglet", WorklistTab.TO_DO.value))
    if tab is None:
        problems.append(ErrorDetail("Onglet inconnu : a-traiter, en-cours, complement ou traites.", field="onglet",
                                    code="worklist_tab_unknown"))
    procedure = params.get("procedure") or None
    if procedure is not None and procedure not in Procedure._value2member_map_:
        problems.append(ErrorDetail("Démarche inconnue : " + ", ".join(p.value for p in Procedure) + ".",
                                    field="procedure", code="procedure_unknown"))
    waiting = params.get("attente") or None
    if waiting is not None and not (waiting.isdigit() and 1 <= int(waiting) <= MAX_WAITING_DAYS):
        problems.append(ErrorDetail(f"L'attente se compte en jours, de 1 à {MAX_WAITING_DAYS}.", field="attente",
                                    code="waiting_invalid"))
    order = params.get("ordre", "ancien")
    if order not in ("ancien", "recent"):
        problems.append(ErrorDetail("Ordre : ancien (les plus anciennes d'abord) ou recent.", field="ordre",
                                    code="order_invalid"))
    limit = params.get("limit", "20")
    if not (limit.isdigit() and int(limit) in PAGE_SIZES):
        problems.append(ErrorDetail("Le nombre de demandes par page va de 1 à 100.", field="limit",
                                    code="limit_invalid"))
    name = (params.get("nom") or "").strip() or None
    if name is not None and len(name) > 100:
        problems.append(ErrorDetail("Le nom cherché fait au plus 100 caractères.", field="nom", code="name_invalid"))
    if problems:
        raise InvalidInput("worklist_invalid", "La recherche est incorrecte : corrigez les champs indiqués.", problems)
    assert tab is not None
    service = wiring.instruction_service()
    rows, cursor = service.worklist(caller, tab, limit=int(limit), cursor=params.get("cursor"), procedure=procedure,
                                    name=name, waiting_days=int(waiting) if waiting else None,
                                    oldest_first=order == "ancien")
    from chalicelib.domain.procedures import PROCEDURE_LABELS

    return Worklist(authority=service.authority_of(caller), tab=tab.value, next_cursor=cursor,
                    rows=[_work_row(row, caller) for row in rows],
                    procedures=[Reason(code=p.value, label=label) for p, label in PROCEDURE_LABELS.items()])


def _work_row(row, caller: Profile) -> WorkRowView:
    from chalicelib.domain.procedures import PROCEDURE_LABELS

    return WorkRowView(
        request_id=row.request_id, procedure=row.procedure.value, procedure_label=PROCEDURE_LABELS[row.procedure],
        candidate_name=row.candidate_name, submitted_at=row.submitted_at, since=row.since,
        claim=ClaimView(agent_name=row.claim.agent_name, lease_until=row.claim.lease_until,
                        mine=row.claim.agent_id == caller.account_id) if row.claim else None,
        decision=row.decision, decided_by=row.decided_by, message_waiting=row.message_waiting)


class Found(Model):
    rows: list[WorkRowView]


@route(blueprint, "/staff/search/{number}", summary="Chercher une demande de mon service par son numéro ou un "
       "NEPH", tags=TAGS, response_model=Found, errors=(422,), roles=INSTRUCTORS,
       description="12 chiffres : la demande de ce numéro et les inscriptions validées sous ce NEPH, celles que votre "
                   "service instruit seulement (les autres ne sont pas montrées).")
def search(caller: Profile, number: str) -> Found:
    from chalicelib.domain.errors import ErrorDetail, InvalidInput

    if not (number.isdigit() and len(number) == 12):
        message = "Un numéro de demande ou un NEPH fait 12 chiffres, par exemple 261112345678."
        raise InvalidInput("number_invalid", message, [ErrorDetail(message, field="number", code="number_invalid")])
    return Found(rows=[_work_row(row, caller) for row in wiring.instruction_service().find(caller, number)])


@route(blueprint, "/staff/requests/{request_id}/claim", method="POST", summary="Prendre en charge une demande "
       "ouverte depuis la liste", tags=TAGS, response_model=StaffRequestView, errors=(404, 409), roles=INSTRUCTORS,
       description="Si personne ne la tient : la même prise en charge de 15 minutes que « demande suivante ». 409 "
                   "claimed_by_other (qui, jusqu'à quand) ou not_under_review.")
def claim(caller: Profile, request_id: str) -> StaffRequestView:
    return staff_view(wiring.instruction_service().claim(caller, request_id), caller)


@route(blueprint, "/staff/queue", summary="L'état de ma file", tags=TAGS, response_model=QueueHealthView,
       errors=(403,), roles=INSTRUCTORS)
def my_queue(caller: Profile) -> QueueHealthView:
    service = wiring.instruction_service()
    return _health(service.health(service.authority_of(caller)))


@route(blueprint, "/staff/queues/{authority}", summary="L'état d'une file (administrateurs)", tags=TAGS,
       response_model=QueueHealthView, errors=(404,), roles=ADMINISTRATORS,
       description="authority : DDT-<département> ou CERT.")
def queue_health(caller: Profile, authority: str) -> QueueHealthView:
    return _health(wiring.instruction_service().health(_administered(caller, authority)))


@route(blueprint, "/staff/requests/{request_id}/reads", summary="Qui a consulté la demande et ses pièces "
       "(administrateurs)", tags=TAGS, response_model=Reads, errors=(404,), roles=ADMINISTRATORS)
def reads(caller: Profile, request_id: str) -> Reads:
    rows = wiring.instruction_service().reads(caller, request_id)
    return Reads(reads=[ReadView(at=datetime.fromisoformat(r["at"]), agent_name=r["agent_name"], role=r["role"],
                                 what=r["what"]) for r in rows])


@route(blueprint, "/staff/queues/{authority}/dead-letters", summary="Messages en échec d'une file (administrateurs)",
       tags=TAGS, response_model=DeadLetters, errors=(404,), roles=ADMINISTRATORS,
       description="Les messages de la file que le traitement automatique n'a pas pu traiter : ils attendent à "
                   "part, et peuvent être rejoués (remis dans la file) une fois la cause corrigée.")
def dead_letters(caller: Profile, authority: str) -> DeadLetters:
    from datetime import timezone

    authority = _administered(caller, authority)
    return DeadLetters(authority=authority, dead_letters=[DeadLetterView(
        message_id=message.message_id, request_id=message.request_id(), receive_count=message.receive_count,
        sent_at=datetime.fromtimestamp(message.sent_at_ms / 1000, timezone.utc) if message.sent_at_ms else None,
        request_status=request.status_label if request else None)
        for message, request in wiring.instruction_service().dead_letters(authority)])


@route(blueprint, "/staff/queues/{authority}/dead-letters/redrive", method="POST", summary="Rejouer les messages "
       "en échec : les remettre dans la file (administrateurs)", tags=TAGS, response_model=Redriven, errors=(404,),
       roles=ADMINISTRATORS)
def redrive(caller: Profile, authority: str) -> Redriven:
    moved = wiring.instruction_service().redrive(_administered(caller, authority))
    return Redriven(moved=moved, message=f"{moved} message(s) remis dans la file.")


def _administered(admin: Profile, authority: str) -> str:
    """An authority this administrator oversees: their département's DDT and the CERT (a national
    administrator, with no département, oversees every one). Others look unknown."""
    from chalicelib.domain.errors import NotFound
    from chalicelib.domain.instruction import CERT
    from chalicelib.resources import CATALOGUE

    code = authority.upper()
    known = code.lower() in CATALOGUE.queue_family("instruction").members
    mine = admin.departement is None or code in (CERT, f"DDT-{admin.departement.upper()}")
    if not (known and mine):
        raise NotFound("queue_not_found", "Aucune file de votre ressort ne porte ce nom : DDT-<département> (par "
                                          "exemple DDT-69) ou CERT.")
    return code


def _health(health) -> QueueHealthView:
    from datetime import timezone

    now = datetime.now(timezone.utc)
    return QueueHealthView(
        authority=health.authority, waiting=health.waiting, returning_waiting=health.returning_waiting,
        claimed=health.claimed, oldest_queued_at=health.oldest_queued_at, oldest_request_id=health.oldest_request_id,
        oldest_age_hours=round((now - health.oldest_queued_at).total_seconds() / 3600, 1)
        if health.oldest_queued_at else None,
        decisions_by_day=[DayView(day=d.day.isoformat(), decisions=d.decisions) for d in health.days],
        median_delay_hours=round(health.median_delay_seconds / 3600, 1)
        if health.median_delay_seconds is not None else None)
