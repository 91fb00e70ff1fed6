"""Use cases of requests: filing (create the draft, save steps, ePhoto code, summary), submission,
the candidate's validation, the 7-day reminder and expiry, the move to instruction once the
documents are accepted, taking a request back, transfer to another school, lists and history.

Who sees a request: the members of its school, the candidate filing alone, or the digital mediator
who filed it with the person ("filer"); the candidate a school's request waits for sees it too, to
validate it ("candidate"). Anyone else gets
the same 404 as for an unknown number. Every status change is one transaction: the request (on
condition of the version read), its history rows and its outbox event."""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain import request_events
from chalicelib.domain import requests as requests_domain
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.errors import Conflict, ErrorDetail, Forbidden, InvalidInput, NotFound
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.messages import closed_problem
from chalicelib.domain.procedures import (CANDIDATE_VALIDATION_DAYS, MANDATE_LABELS, PROCEDURE_LABELS,
                                          SYSTEM_ACTOR, TERMINAL_STATUSES, Mandate, RequestStatus, Transition,
                                          check_transition, may_file, submission_status)
from chalicelib.domain.requests import UPLOADABLE, ProcedureStep, Request

if TYPE_CHECKING:
    from chalicelib.adapters.documents_repository import DynamoDocumentsRepository
    from chalicelib.adapters.requests_repository import DynamoRequestsRepository
    from chalicelib.services.accounts import Accounts

S = RequestStatus
NOT_FOUND = NotFound("request_not_found", "Aucune demande de votre espace ne porte ce numéro : vérifiez-le.")
TRANSFER_REFUSED = InvalidInput(
    "transfer_refused", "Ce numéro de demande et ce numéro d'agrément ne correspondent pas à une demande qui peut "
    "être reprise : vérifiez les deux numéros auprès de l'auto-école précédente.")
EDITABLE = frozenset({S.DRAFT})
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_\-:.]{8,100}")
SUBMISSION_ATTEMPTS = 3  # a document check landing during a submission makes it read again


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_request_number(now: datetime) -> str:
    """12 digits, like the seed's dossier numbers: year and month, then 8 random digits."""
    return f"{now:%y%m}{secrets.randbelow(10**8):08d}"


def not_draft(request: Request, consequence: str) -> Conflict:
    """409 for what only a draft allows: the request was submitted (whatever happened since)."""
    return Conflict("request_not_draft", f"La demande n° {request.request_id} a été déposée (statut « "
                    f"{request.status_label} ») : {consequence}.",
                    current={"version": request.version, "status": request.status.value,
                             "status_label": request.status_label})


# What each action cannot do outside the statuses `actions` announces it in, for the 409's message.
_NOT_NOW = {
    "edit": "elle ne se modifie plus", "submit": "elle ne se dépose pas de nouveau", "delete": "elle ne se supprime pas",
    "upload": "les pièces ne se changent pas à ce stade", "validate": "elle n'attend pas la validation du candidat",
    "send_complement": "aucun complément n'est demandé", "back_to_draft": "elle ne se reprend pas en brouillon",
    "resend_validation": "seule une demande expirée se renvoie au candidat",
}


def require_action(caller: Profile, request: Request, action: str) -> None:
    """Every write checks the state machine itself (the request's `actions`, what the pages show),
    never the page hiding its button: 409 with the current status and what to do instead."""
    allowed = actions(caller, request)
    if action in allowed:
        return
    if "back_to_draft" in allowed:
        instead = ("Pour la corriger, reprenez-la en brouillon (« Reprendre en brouillon ») : le candidat devra la "
                   "valider de nouveau.")
    elif request.status in TERMINAL_STATUSES or request.submitted_at is not None:
        instead = "Pour une autre catégorie ou une autre démarche, déposez une nouvelle demande."
    else:
        instead = "Rechargez la page pour voir ce qu'elle permet maintenant."
    code = "request_not_draft" if action in ("edit", "submit", "delete") else "illegal_transition"
    raise Conflict(code, f"La demande n° {request.request_id} est au statut « {request.status_label} » : "
                         f"{_NOT_NOW.get(action, 'ce n’est pas possible maintenant')}. {instead}",
                   current={"version": request.version, "status": request.status.value,
                            "status_label": request.status_label})


def changed_meanwhile(current: Request | None) -> Conflict:
    return Conflict("changed_meanwhile", "La demande a été modifiée entre-temps (un autre poste ?) : rechargez la "
                    "page, vérifiez-la puis recommencez.",
                    current={"version": current.version, "status": current.status.value,
                             "status_label": current.status_label} if current else None)


@dataclass
class Requests:
    repo: "DynamoRequestsRepository"
    documents: "DynamoDocumentsRepository"
    accounts: Callable[[], "Accounts"] = field(default=lambda: None)  # type: ignore[assignment,return-value]
    # Whether an upload's S3 key holds a file (a document sent, not yet checked, counts as sent).
    upload_exists: Callable[[str], bool] = field(default=lambda key: False)
    # Deletes every version of the documents bucket's files under these key prefixes; how many.
    delete_files: Callable[[list[str]], int] = field(default=lambda prefixes: 0)
    clock: Callable[[], datetime] = field(default=lambda: utc_now())
    new_event_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)

    # --- filing --------------------------------------------------------------------------------

    def create(self, caller: Profile, step: ProcedureStep) -> Request:
        if caller.role == Role.CANDIDAT and step.mandate != Mandate.SELF:
            raise InvalidInput("mandate_not_allowed", "Un candidat dépose sa demande lui-même : choisissez « candidat ».")
        if caller.role == Role.AUTO_ECOLE and step.mandate in (Mandate.SELF, Mandate.MEDIATION):
            raise InvalidInput("mandate_not_allowed", "Une auto-école dépose avec un mandat papier ou sans mandat "
                               "(le candidat valide alors la demande).")
        if (caller.role == Role.MEDIATEUR) != (step.mandate == Mandate.MEDIATION):
            raise InvalidInput("mandate_not_allowed", "Seul un médiateur numérique dépose en mode « médiation », et "
                               "il ne dépose que dans ce mode, avec le consentement de la personne accompagnée.")
        if not may_file(step.procedure, step.mandate):
            raise InvalidInput("procedure_not_allowed", f"La démarche « {PROCEDURE_LABELS[step.procedure]} » ne se "
                               f"dépose pas en mode « {MANDATE_LABELS[step.mandate]} ».")
        school_name = None
        if caller.role == Role.AUTO_ECOLE:
            school = self.accounts().repo.get_school(caller.school_id or "")
            school_name = school.company_name if school else None
        mediation = ({"mediator_account_id": caller.account_id, "structure_name": caller.structure_name}
                     if caller.role == Role.MEDIATEUR else {})
        now = self.clock()
        for _ in range(5):
            request = Request(request_id=new_request_number(now), procedure=step.procedure, mandate=step.mandate,
                              status=S.DRAFT, school_id=caller.school_id if caller.role == Role.AUTO_ECOLE
                              else None, school_name=school_name,
                              owner_account_id=caller.account_id if caller.role == Role.CANDIDAT else None,
                              candidate_account_id=caller.account_id if caller.role == Role.CANDIDAT else None,
                              created_by=caller.account_id, created_at=now, updated_at=now,
                              steps={"procedure": step.model_dump(mode="json")}, **mediation)
            if self.repo.create(request):
                return request
        raise Conflict("number_unavailable", "Aucun numéro de demande libre n'a été trouvé : réessayez.")

    def get(self, caller: Profile, request_id: str) -> Request:
        request = self.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        if request is None or viewer(caller, request) is None:
            raise NOT_FOUND
        return request

    def school_address_for_candidate(self, caller: Profile, request: Request) -> str | None:
        """The school's address, for the candidate validating its request: the way to tell it of a
        mistake (one read, only for them)."""
        if viewer(caller, request) != "candidate" or not request.school_id:
            return None
        school = self.accounts().repo.get_school(request.school_id)
        return school.address.one_line() if school else None

    def get_as_filer(self, caller: Profile, request_id: str) -> Request:
        """The request, for its school's members or the candidate filing alone; a candidate who only
        validates a school's request may read it, not change it."""
        request = self.get(caller, request_id)
        if viewer(caller, request) != "filer":
            raise Forbidden("filer_only", "Seule l'auto-école qui a préparé la demande peut la modifier : "
                            "contactez-la pour toute correction.")
        return request

    def save_step(self, caller: Profile, request_id: str, step: Model) -> Request:
        """`step` is a validated step form (domain.requests.STEPS); it replaces the saved one."""
        request = self.get_as_filer(caller, request_id)
        forms = requests_domain.steps_for(request.mandate)
        name = next((n for n, form in forms.items() if type(step) is form), None)
        if name is None:  # a form of another mandate's steps (the API reads the mandate first)
            raise InvalidInput("step_not_allowed", "Cette étape ne s'enregistre pas sous cette forme pour cette "
                               "demande : rechargez la page.")
        require_action(caller, request, "edit")
        saved = step.model_dump(mode="json")
        if name == "consent":  # who recorded it and when: from the session, never from the form
            saved.update(mediator_account_id=caller.account_id, recorded_at=self.clock().isoformat())
        updated = request.model_copy(update={"steps": {**request.steps, name: saved},
                                             "updated_at": self.clock(), "version": request.version + 1})
        if not self.repo.replace(updated, name):  # its autosave goes in the same write
            raise changed_meanwhile(self.repo.get(request_id))
        return updated

    def save_ephoto(self, caller: Profile, request_id: str, code: str) -> dict[str, Any]:
        """The ePhoto code (22 characters) of an approved photo booth; one code serves one request.
        The code is claimed for good at submission; here an already used code is refused early."""
        from chalicelib.domain.rules import check_ephoto_code

        request = self.get_as_filer(caller, request_id)
        if request.status not in EDITABLE:
            raise Conflict("documents_locked", f"La demande est au statut « {request.status_label} » : le code ePhoto "
                           "ne se change plus une fois la demande déposée.",
                           current={"status": request.status.value, "status_label": request.status_label})
        try:
            normalized = check_ephoto_code(code)
        except ValueError as error:
            raise InvalidInput("ephoto_invalid", str(error), [ErrorDetail(str(error), field="code",
                                                                          code="ephoto_invalid")]) from None
        owner = self.repo.ephoto_owner(normalized)
        if owner is not None and owner != request.request_id:
            raise Conflict("ephoto_used", "Ce code ePhoto a déjà servi pour une autre demande : chaque code ne sert "
                           "qu'une fois. Faites une nouvelle photo dans une cabine ou chez un photographe agréés.")
        self.documents.put_ephoto(request.request_id, normalized, self.clock())
        return {"document": "ephoto", "code": normalized, "state": "accepted"}

    def summary(self, caller: Profile, request_id: str) -> dict[str, Any]:
        request = self.get(caller, request_id)
        day = request.rules_day(self.clock().date())
        required = requests_domain.required_documents(request, day)
        states = self.documents.by_type(request.request_id)
        missing = requests_domain.missing(request, day)
        if request.status is S.DRAFT:
            missing += requests_domain.document_problems(required, states)
        return {"request": request, "missing": missing, "required_documents": required, "states": states}

    # --- drafts: a step being typed, deleting a draft -----------------------------------------

    def autosave(self, caller: Profile, request_id: str, step: str, fields: dict[str, Any]) -> datetime:
        """Keeps what the filer is typing in `step` (bounded in shape, not validated), on condition the
        request is still a draft; the request's version does not move. When it was saved."""
        request = self.get_as_filer(caller, request_id)
        form = requests_domain.step_model(step, request.mandate)  # 404 for another mandate's step
        if request.status is not S.DRAFT:
            raise not_draft(request, "la saisie n'est plus enregistrée, la demande ne se modifie plus")
        requests_domain.check_autosave(form, fields)
        now = self.clock()
        try:
            self.repo.transact(self.repo.autosave_items(request, step, fields, now))
        except TransactionRefused:
            current = self.repo.get(request_id)
            if current is None:
                raise NOT_FOUND from None  # deleted meanwhile
            raise not_draft(current, "la saisie n'est plus enregistrée, la demande ne se modifie plus") from None
        return now

    def autosaved(self, caller: Profile, request_id: str) -> dict[str, dict[str, Any]]:
        """The steps typed and not saved since, for the filer to pick up where they left off (a draft's
        only: a submitted request no longer takes what was typed)."""
        request = self.get_as_filer(caller, request_id)
        return self.repo.autosaves(request.request_id) if request.status is S.DRAFT else {}

    def delete_draft(self, caller: Profile, request_id: str, version: int) -> Request:
        """The filer deletes a draft: one transaction deletes the request (on condition it is still
        the draft read) and writes request.draft_deleted, whose worker deletes the rest (documents,
        history, autosaves, files). A draft with an appointment to come keeps it: cancel it first."""
        from chalicelib.adapters.requests_repository import DELETE_APPOINTMENT

        request = self.get_as_filer(caller, request_id)
        if request.status is not S.DRAFT:
            raise not_draft(request, "elle ne peut plus être supprimée")
        if request.version != version:
            raise changed_meanwhile(request)
        now = self.clock()
        event = self.event_for(request_events.DRAFT_DELETED, request, now, by=caller.account_id)
        try:
            self.repo.transact(self.repo.delete_draft_items(request, event, now))
        except TransactionRefused as refused:
            current = self.repo.get(request_id)
            if current is None:
                raise NOT_FOUND from None  # deleted meanwhile (another tab)
            if current.status is not S.DRAFT:
                raise not_draft(current, "elle ne peut plus être supprimée") from None
            if current.version == request.version and DELETE_APPOINTMENT in refused.failed:
                raise Conflict("request_has_appointment", f"La demande n° {request_id} a un rendez-vous à venir "
                               "en préfecture : annulez-le d'abord (page « Rendez-vous »), puis supprimez la "
                               "demande.", current={"version": current.version, "status": current.status.value,
                                                    "status_label": current.status_label}) from None
            raise changed_meanwhile(current) from None
        return request

    def purge_deleted_draft(self, request_id: str) -> dict[str, int]:
        """The draft-deletions worker: deletes what a deleted draft left (every item of its partition,
        its alert subscriptions, its ePhoto claim, every version of its files). Idempotent: a replay
        finds nothing left and succeeds. A number in use again is left alone."""
        from chalicelib.services.documents import stored_file_prefixes

        if self.repo.get(request_id) is not None:
            return {"items": 0, "files": 0}
        remains = self.repo.remains(request_id)
        for item in remains:
            if item.get("entity") == "document" and item.get("document") == "ephoto" and item.get("code"):
                self.repo.release_ephoto(item["code"], request_id)
        self.repo.delete_all([{"pk": item["pk"], "sk": item["sk"]} for item in remains])
        return {"items": len(remains), "files": self.delete_files(stored_file_prefixes(request_id))}

    # --- submission ----------------------------------------------------------------------------

    def submit(self, caller: Profile, request_id: str, version: int, idempotency_key: str | None) -> Request:
        """Leaves the draft: to the candidate's validation (without mandate), else to the image
        check, and on to instruction when the documents are all accepted already. The same
        Idempotency-Key gives the same answer (a double click submits once); the version read by
        the filer guards against a second tab."""
        if not idempotency_key or not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise InvalidInput("idempotency_key_missing", "La demande de dépôt doit porter un en-tête Idempotency-Key "
                               "(8 à 100 lettres, chiffres ou tirets), le même si vous renvoyez le même dépôt.")
        fingerprint = f"{request_id}@{version}"  # what the body and the path say: one key serves one of them
        for _ in range(SUBMISSION_ATTEMPTS):
            done = self.repo.idempotent_submission(caller.account_id, idempotency_key)
            if done is not None:
                if done.partition("@")[0] != request_id:
                    raise InvalidInput("idempotency_key_reused", "Cette clé Idempotency-Key a déjà servi pour une "
                                       "autre demande : créez-en une nouvelle pour chaque dépôt.")
                if "@" in done and done != fingerprint:
                    raise InvalidInput("idempotency_key_reused", "Cette clé Idempotency-Key a déjà servi pour un "
                                       "autre contenu (une autre version de la demande) : créez-en une nouvelle "
                                       "pour chaque dépôt.")
                return self.get(caller, request_id)  # the same submission, sent again
            try:
                return self._submit_once(caller, request_id, version, idempotency_key)
            except _DocumentsChanged:
                continue
            except Conflict as conflict:
                if conflict.code != "email_already_used":
                    raise
                continue  # the candidate's account was opened by the same click sent twice: look again
        raise changed_meanwhile(self.repo.get(request_id))

    def _submit_once(self, caller: Profile, request_id: str, version: int, idempotency_key: str) -> Request:
        request = self.get_as_filer(caller, request_id)
        if request.version != version:
            raise changed_meanwhile(request)
        require_action(caller, request, "submit")
        target = submission_status(request.mandate)
        check_transition(request.status, target, procedure=request.procedure, mandate=request.mandate)
        now = self.clock()
        day = now.date()
        required = requests_domain.required_documents(request, day)
        states = self.documents.by_type(request.request_id)
        awaited = [d.document.value for d in required
                   if (states.get(d.document.value) or {}).get("state") == "awaiting_upload"]
        sent = [document for document in awaited if self.upload_exists(states[document]["key"])]
        for document in set(awaited) - set(sent):
            # Not in S3: never sent, or checked meanwhile (an accepted upload is moved to checked/).
            if self.documents.get(request_id, document) != states[document]:
                raise _DocumentsChanged()
        read = {document: dict(record) for document, record in states.items()}
        for document in sent:
            states[document] = {**states[document], "state": "pending"}
        consent = requests_domain.consent_problem(request)
        if consent is not None and consent.code == "consent_missing":
            raise InvalidInput("consent_missing", consent.message, [consent])
        problems = requests_domain.missing(request, day) + requests_domain.document_problems(required, states)
        if problems:
            raise InvalidInput("not_ready", "La demande n'est pas complète : complétez ce qui est indiqué puis "
                               "déposez-la de nouveau.", problems)
        chain = ([target] if target is S.AWAITING_CANDIDATE_VALIDATION
                 else requests_domain.after_image_check(requests_domain.all_accepted(required, states)))
        update: dict[str, Any] = {"submitted_at": now, "identity_divergence": []}
        events = [self.event_for(request_events.SUBMITTED, request, now)]
        account_items: list[dict[str, Any]] = []
        undo: Callable[[], None] | None = None
        if target is S.AWAITING_CANDIDATE_VALIDATION:
            update.update(validation_deadline=now + timedelta(days=CANDIDATE_VALIDATION_DAYS),
                          validation_reminded=False)
            update["candidate_account_id"], account_items, undo = self._candidate_for(request)
            if not account_items:  # an existing account: asked by an email of its own
                events.append(self.event_for(request_events.VALIDATION_ASKED, request, now))
        ephoto = (states.get("ephoto") or {}).get("code")
        # Checked in this order after the request's own items (ChangeRefused.extra_failed indexes).
        tail = [self.repo.idempotency_put(caller.account_id, idempotency_key, f"{request_id}@{version}", now),
                *account_items,
                *([self.repo.ephoto_claim(ephoto, request_id)] if ephoto else []),
                *[self.documents.mark_pending(read[d.document.value], now) if d.document.value in sent
                  else self.documents.unchanged(read[d.document.value]) for d in required]]
        idempotency_at, ephoto_at = 0, (1 + len(account_items) if ephoto else None)
        checks_from = 1 + len(account_items) + (1 if ephoto else 0)
        consented = requests_domain.consent_of(request)
        reason = consented.describe(request.structure_name) if consented else None  # in the history, for all
        try:
            return self._move(request, chain, caller, now, events, update=update, extra=tail, reason=reason)
        except ChangeRefused as refused:
            if undo:
                undo()  # the Cognito user opened for the candidate
            failed = refused.extra_failed
            if idempotency_at in failed:  # the same click twice at once: the other one won (checked again)
                raise _DocumentsChanged() from None
            if ephoto_at in failed:
                raise Conflict("ephoto_used", "Ce code ePhoto a déjà servi pour une autre demande : saisissez le code "
                               "d'une nouvelle photo.") from None
            if any(i >= checks_from for i in failed):
                raise _DocumentsChanged() from None
            raise changed_meanwhile(self.repo.get(request_id)) from None

    def _candidate_for(self, request: Request) -> tuple[str, list[dict[str, Any]], Callable[[], None] | None]:
        """The candidate who validates a school's request: their existing account, or one opened for
        them in the same transaction as the submission (whose activation email leads to the request)."""
        from chalicelib.domain.accounts import CandidateForSchool

        accounts = self.accounts()
        contact = request.steps["contact"]
        account_id = accounts.repo.account_id_for_email(contact["email"].lower())
        if account_id is not None:
            profile = accounts.repo.get_profile(account_id)
            if profile is None or profile.role is not Role.CANDIDAT:
                raise InvalidInput("candidate_email_taken", "Cette adresse électronique appartient à un compte qui "
                                   "n'est pas un compte candidat : saisissez l'adresse personnelle du candidat.",
                                   [ErrorDetail("Adresse déjà utilisée par un compte professionnel.",
                                                field="contact.email", code="candidate_email_taken")])
            return account_id, [], None
        civil = request.steps["civil_status"]
        form = CandidateForSchool.model_validate({
            **{k: civil.get(k) for k in ("birth_name", "usage_name", "first_names", "sex", "birth_date",
                                         "birth_place")},
            "email": contact["email"], "mobile_phone": contact["mobile_phone"], "address": contact["address"]})
        prepared = accounts.prepare_candidate_for_school(form, request.school_id or "", request.request_id)
        return prepared.account_id, prepared.items, prepared.undo

    # --- the candidate's validation --------------------------------------------------------------

    def validate(self, caller: Profile, request_id: str, version: int) -> Request:
        """The candidate confirms the request a school prepared; their account's identity must match
        the request's civil status, otherwise both sides see which fields differ."""
        from chalicelib.domain.identity_match import FIELD_LABELS, compare_identities, divergence_message

        request = self.get(caller, request_id)
        if request.candidate_account_id != caller.account_id or request.mandate is not Mandate.NONE:
            raise Forbidden("candidate_only", "Seul le candidat pour qui la demande a été préparée la valide.")
        if request.version != version:
            raise changed_meanwhile(request)
        require_action(caller, request, "validate")
        check_transition(request.status, S.IMAGE_CHECK, procedure=request.procedure, mandate=request.mandate)
        now = self.clock()
        if request.validation_deadline and now > request.validation_deadline:
            raise Conflict("validation_expired", "Le délai de 7 jours pour valider cette demande est dépassé : "
                           "demandez à votre auto-école de vous la renvoyer.", current={"status": request.status.value})
        differing = compare_identities(caller_identity(caller), requests_domain.candidate_civil_identity(request))
        if differing:
            self.repo.record_divergence(request, list(differing))
            raise Conflict("identity_mismatch", divergence_message(differing), [
                ErrorDetail(f"{FIELD_LABELS[f]} : différent entre votre compte et la demande.", field=f,
                            code="identity_mismatch") for f in differing],
                current={"status": request.status.value})
        return self._enter_image_check(request, caller, now,
                                       [self.event_for(request_events.VALIDATED_BY_CANDIDATE, request, now)],
                                       update={"identity_divergence": []})

    def remind_and_expire(self, out_of_time: Callable[[], bool] | None = None) -> dict[str, int]:
        """The scheduled job: day 5, the candidate is reminded once; past day 7 the request returns
        to the school as expired (nothing deleted). All that is due, until `out_of_time`."""
        now = self.clock()
        done = {"reminded": 0, "expired": 0}
        for request_id in self.repo.due_for_validation_job(now):
            if out_of_time is not None and out_of_time():
                break
            request = self.repo.get(request_id)
            if request is None or request.status is not S.AWAITING_CANDIDATE_VALIDATION:
                continue
            try:
                if request.validation_deadline and now >= request.validation_deadline:
                    self._move(request, [S.EXPIRED], None, now, [self.event_for(request_events.EXPIRED, request, now)],
                               reason="Le candidat n'a pas validé la demande dans les 7 jours.")
                    done["expired"] += 1
                elif not request.validation_reminded:
                    self.repo.transact(self.repo.mark_reminded(
                        request, self.event_for(request_events.VALIDATION_REMINDER, request, now)))
                    done["reminded"] += 1
            except (ChangeRefused, TransactionRefused):
                continue  # validated or changed meanwhile: the next run looks again
        return done

    # --- documents accepted: instruction begins ------------------------------------------------

    def documents_checked(self, request_id: str) -> Request | None:
        """Called after a document's check is recorded: the request moves to instruction by itself
        when all its required documents are accepted. Never frozen: whichever of two concurrent
        checks reads last sees both results."""
        for _ in range(SUBMISSION_ATTEMPTS):
            request = self.repo.get(request_id)
            if request is None or request.status is not S.IMAGE_CHECK:
                return None
            required = requests_domain.required_documents(request, request.rules_day(self.clock().date()))
            if not requests_domain.all_accepted(required, self.documents.by_type(request_id)):
                return None
            now = self.clock()
            try:
                return self._move(request, [S.UNDER_REVIEW], None, now, [])
            except ChangeRefused:
                continue
        return None

    # --- the school takes it back, asks again, transfers ---------------------------------------

    def back_to_draft(self, caller: Profile, request_id: str, version: int) -> Request:
        request = self.get_as_filer(caller, request_id)
        if request.version != version:
            raise changed_meanwhile(request)
        require_action(caller, request, "back_to_draft")
        check_transition(request.status, S.DRAFT, procedure=request.procedure, mandate=request.mandate)
        now = self.clock()
        return self._commit(request, [S.DRAFT], caller, now, [self.event_for(request_events.TAKEN_BACK, request, now)],
                            update={"validation_deadline": None, "validation_reminded": False},
                            reason="Demande reprise par l'auto-école pour être corrigée.")

    def resend_validation(self, caller: Profile, request_id: str, version: int) -> Request:
        request = self.get_as_filer(caller, request_id)
        if request.version != version:
            raise changed_meanwhile(request)
        require_action(caller, request, "resend_validation")
        check_transition(request.status, S.AWAITING_CANDIDATE_VALIDATION, procedure=request.procedure,
                         mandate=request.mandate)
        now = self.clock()
        return self._commit(request, [S.AWAITING_CANDIDATE_VALIDATION], caller, now,
                            [self.event_for(request_events.VALIDATION_ASKED, request, now)],
                            update={"validation_deadline": now + timedelta(days=CANDIDATE_VALIDATION_DAYS),
                                    "validation_reminded": False})

    def transfer(self, caller: Profile, request_id: str, former_agrement: str) -> Request:
        """Another school takes a request over with its number and the former school's agrément;
        the former school loses access. A wrong number and a wrong agrément look the same."""
        accounts = self.accounts()
        request = self.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        former = accounts.repo.get_school(request.school_id) if request and request.school_id else None
        if (request is None or former is None or caller.school_id is None or request.school_id == caller.school_id
                or former.agrement_number != former_agrement.strip().upper() or request.status in TERMINAL_STATUSES):
            raise TRANSFER_REFUSED
        school = accounts.repo.get_school(caller.school_id)
        if school is None:
            raise TRANSFER_REFUSED
        now = self.clock()
        event = self.event_for(request_events.TRANSFERRED, request, now, former_school_id=former.school_id,
                            new_school_id=school.school_id)
        return self._commit(request, [request.status], caller, now, [event],
                            update={"school_id": school.school_id, "school_name": school.company_name},
                            reason=f"Demande reprise par l'auto-école {school.company_name} (précédemment suivie par "
                                   f"l'auto-école {former.company_name}).")

    def send_complement(self, caller: Profile, request_id: str, version: int) -> Request:
        """The school replaced the documents the agent asked for: the request is checked again, then
        goes back to instruction ahead of new requests."""
        request = self.get_as_filer(caller, request_id)
        if request.version != version:
            raise changed_meanwhile(request)
        require_action(caller, request, "send_complement")
        check_transition(request.status, S.IMAGE_CHECK, procedure=request.procedure, mandate=request.mandate)
        states = self.documents.by_type(request_id)
        asked = request.complement_asked_at.isoformat() if request.complement_asked_at else ""
        not_replaced = [document for document in request.complement_documents
                        if (states.get(document) or {}).get("state") not in requests_domain.READY_STATES
                        or (states.get(document) or {}).get("updated_at", "") <= asked]
        if not_replaced:
            from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType

            raise InvalidInput("complement_incomplete", "Remplacez d'abord les pièces demandées par l'instructeur.", [
                ErrorDetail(f"« {DOCUMENT_LABELS[DocumentType(d)]} » : envoyez une nouvelle pièce.",
                            field=f"documents.{d}", code="document_not_replaced") for d in not_replaced])
        return self._enter_image_check(request, caller, self.clock(), [], states=states,
                                       update={"returning": True, "complement_documents": []})

    # --- reads ---------------------------------------------------------------------------------

    def history(self, caller: Profile, request_id: str) -> list[Transition]:
        request = self.get(caller, request_id)
        return self.repo.history(request.request_id)

    def receipt_key(self, caller: Profile, request_id: str) -> str:
        request = self.get(caller, request_id)
        if request.submitted_at is None:
            raise Conflict("receipt_not_ready", "Le récépissé est délivré après le dépôt de la demande.",
                           current={"status": request.status.value})
        key = self.repo.receipt_key(request_id)
        if key is None:
            raise Conflict("receipt_not_ready", "Le récépissé est en préparation : réessayez dans quelques secondes.",
                           current={"status": request.status.value})
        return key

    def page(self, caller: Profile, *, limit: int, cursor: str | None, status: str | None, procedure: str | None,
             name: str | None) -> tuple[list[Request], str | None]:
        from chalicelib.adapters.requests_repository import candidate_partition, mediator_partition, school_partition

        if caller.role == Role.AUTO_ECOLE and caller.school_id:
            index, partition = "gsi1", school_partition(caller.school_id)
        elif caller.role == Role.CANDIDAT:
            index, partition = "gsi2", candidate_partition(caller.account_id)
        elif caller.role == Role.MEDIATEUR:
            index, partition = "gsi1", mediator_partition(caller.account_id)
        else:
            raise Forbidden("forbidden", "Votre compte n'a pas de demandes à lister.")
        return self.repo.page(index, partition, limit=limit, cursor=cursor, status=status, procedure=procedure,
                              name=name)

    # --- one transaction per change ------------------------------------------------------------

    def event_for(self, event_type: str, request: Request, now: datetime, **payload: Any) -> OutboxEvent:
        return OutboxEvent(id=self.new_event_id(), type=event_type, aggregate_id=request.request_id, occurred_at=now,
                           payload={"request_id": request.request_id, **payload})

    def _move(self, request: Request, chain: list[RequestStatus], caller: Profile | None, now: datetime,
              events: list[OutboxEvent], *, update: dict[str, Any] | None = None,
              extra: list[dict[str, Any]] | None = None, reason: str | None = None) -> Request:
        """Moves `request` through `chain` in one transaction: the request (version + 1), one history
        row per move, the events, then `extra`. Only the first move is the caller's (with `reason`):
        the ones it sets off (into instruction because every document is already accepted) are
        the system's. ChangeRefused says whether the request changed meanwhile and which items of
        `extra` failed."""
        from chalicelib.domain.status_texts import AUTOMATIC_REASONS

        transitions, current = [], request.status
        for index, target in enumerate(chain):
            if target is not current:
                check_transition(current, target, procedure=request.procedure, mandate=request.mandate)
            by = caller if index == 0 else None
            transitions.append(Transition(
                from_status=current, to_status=target, at=now,
                reason=(reason if index == 0 else None) or (AUTOMATIC_REASONS.get(target) if by is None else None),
                actor_account_id=by.account_id if by else None, actor_role=by.role if by else SYSTEM_ACTOR))
            current = target
        entering_instruction = current is S.UNDER_REVIEW and request.status is not S.UNDER_REVIEW
        moved = request.model_copy(update={**(update or {}), "status": current, "updated_at": now,
                                           "version": request.version + 1,
                                           **({"queued_at": now, "queue_message_at": None}
                                              if entering_instruction else {})})
        if entering_instruction:  # the instruction queues' cue
            events = [*events, self.event_for(request_events.READY_FOR_INSTRUCTION, request, now,
                                              returning=moved.returning, authority=moved.authority())]
        items = self.repo.change_items(moved, transitions, events)
        try:
            self.repo.transact(items + (extra or []))
        except TransactionRefused as refused:
            raise ChangeRefused(0 in refused.failed, {i - len(items) for i in refused.failed if i >= len(items)}) \
                from None
        return moved

    def _enter_image_check(self, request: Request, caller: Profile, now: datetime, events: list[OutboxEvent], *,
                           update: dict[str, Any], states: dict[str, dict[str, Any]] | None = None) -> Request:
        """Into the image check, and on to instruction at once when the documents are all accepted
        already. The documents read are condition-checked in the same transaction: a check landing
        in between makes this read them again (the request itself did not change), rather than
        leave the request waiting for a check that already happened. `states`: already read."""
        required = requests_domain.required_documents(request, request.rules_day(now.date()))
        for _ in range(SUBMISSION_ATTEMPTS):
            states = states if states is not None else self.documents.by_type(request.request_id)
            chain = requests_domain.after_image_check(requests_domain.all_accepted(required, states))
            checks = [self.documents.unchanged(states[d.document.value]) for d in required
                      if d.document.value in states]
            try:
                return self._move(request, chain, caller, now, events, update=update, extra=checks)
            except ChangeRefused as refused:
                if refused.request_changed:
                    break
                states = None  # a document changed: read them again
        raise changed_meanwhile(self.repo.get(request.request_id))

    def _commit(self, request: Request, chain: list[RequestStatus], caller: Profile, now: datetime,
                events: list[OutboxEvent], **options: Any) -> Request:
        try:
            return self._move(request, chain, caller, now, events, **options)
        except ChangeRefused:
            raise changed_meanwhile(self.repo.get(request.request_id)) from None


class ChangeRefused(Exception):
    """A condition of a change's transaction failed: the request's version (`request_changed`), or
    items the use case added (`extra_failed`, indexes in its `extra` list)."""

    def __init__(self, request_changed: bool, extra_failed: set[int]):
        super().__init__(f"request changed: {request_changed}, extra items failed: {sorted(extra_failed)}")
        self.request_changed = request_changed
        self.extra_failed = extra_failed


class _DocumentsChanged(Exception):
    """A document's check landed between the submission's read and its commit: read again."""


def viewer(caller: Profile, request: Request) -> str | None:
    """"filer" (may change it), "candidate" (validates a school's request) or None (no access)."""
    if caller.role == Role.AUTO_ECOLE:
        return "filer" if caller.school_id is not None and request.school_id == caller.school_id else None
    if caller.role == Role.MEDIATEUR:  # the mediator who filed it, and no other
        return "filer" if request.mediator_account_id == caller.account_id else None
    if caller.role == Role.CANDIDAT:
        if request.owner_account_id == caller.account_id:
            return "filer"
        if request.candidate_account_id == caller.account_id:
            return "candidate"
    return None


def caller_identity(profile: Profile):
    from chalicelib.domain.identity_match import CivilIdentity

    return CivilIdentity(birth_name=profile.birth_name, first_names=profile.first_names,
                         birth_date=profile.birth_date, sex=profile.sex)


def actions(caller: Profile, request: Request) -> list[str]:
    """What the caller may do with the request now, for the pages to show the right buttons."""
    seen_as = viewer(caller, request)
    possible = []
    if seen_as == "filer":
        if request.status in EDITABLE:
            possible += ["edit", "submit", "delete"]
        if request.status in UPLOADABLE:
            possible.append("upload")
        if request.school_id and request.status in (S.AWAITING_CANDIDATE_VALIDATION, S.EXPIRED):
            possible.append("back_to_draft")
        if request.status is S.EXPIRED:
            possible.append("resend_validation")
        if request.status is S.MORE_INFORMATION_REQUESTED:
            possible.append("send_complement")
    elif seen_as == "candidate" and request.status is S.AWAITING_CANDIDATE_VALIDATION:
        possible.append("validate")
    if seen_as and request.status is S.RETURNED and request.resend_requested_at is None:
        possible.append("resend_licence")  # the candidate's licence: the school or the candidate asks
    if seen_as and closed_problem(request.status) is None:
        possible.append("message")  # the request's thread with the instructors (services/messages.py)
    if seen_as == "filer" and caller.role == Role.AUTO_ECOLE and convocable(request):
        possible.append("convene")  # the school convenes its candidate to a test (services/exams.py)
    return possible


def convocable(request: Request) -> bool:
    """A validated registration, its NEPH given: its candidate can be convened to a test."""
    from chalicelib.domain.procedures import REGISTRATION_PROCEDURES

    return request.procedure in REGISTRATION_PROCEDURES and request.status is S.APPROVED and bool(request.neph)
