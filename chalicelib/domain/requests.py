"""A request and its seven steps: what each step holds, how each is validated on its own (French
message per field), and the summary that lists what is still missing before submission.

Steps 1 to 5 are forms saved as drafts one by one, in any order, as often as needed; step 6
(documents) and step 7 (summary and submission) work on the saved steps."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from chalicelib.domain.accounts import (EMAIL_FORMAT, AddressInput, CandidateIdentity, check_email, check_name,
                                        normalize_mobile_phone)
from chalicelib.domain.base import Model
from chalicelib.domain.dates import IsoDate
from chalicelib.domain.errors import ErrorDetail, NotFound
from chalicelib.domain.procedures import (CANDIDATE_VALIDATION_DAYS, PROCEDURE_LABELS, STATUS_LABELS, Category,
                                          ComplementaryTraining, Mandate, Procedure, RequestStatus, TrainingPath)

if TYPE_CHECKING:
    from chalicelib.domain.rules import RequiredDocument

DRAFT_RETENTION_DAYS = 90  # drafts untouched for 3 months are purged
VALIDATION_REMINDER_DAY = 5  # the candidate is reminded on day 5 of the 7 they have to validate


class _Step(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProcedureStep(_Step):
    """Step 1: the procedure and, for a school, the mandate."""

    procedure: Procedure = Field(description="Démarche")
    mandate: Mandate = Field(description="Mandat : mandat-papier, sans-mandat (le candidat valide), candidat")


class LegalRepresentative(_Step):
    birth_name: str = Field(max_length=80, description="Nom de naissance du représentant légal")
    first_names: str = Field(max_length=160, description="Prénoms du représentant légal")
    birth_date: IsoDate = Field(description="Date de naissance du représentant légal")
    quality: Literal["pere", "mere", "tuteur"] = Field(description="Qualité : pere, mere ou tuteur")
    address: AddressInput

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_names = field_validator("first_names")(lambda v: check_name(v.replace(",", " "), "Les prénoms"))


class CivilStatusStep(CandidateIdentity):
    """Step 2: the candidate's civil status, and the legal representative for a minor."""

    legal_representative: LegalRepresentative | None = None


class ContactStep(_Step):
    """Step 3: address and contacts (individual email and mobile phone)."""

    address: AddressInput
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique personnelle du candidat")
    mobile_phone: str = Field(max_length=20, description="Téléphone portable du candidat")

    check_email_address = field_validator("email")(check_email)
    check_mobile_phone = field_validator("mobile_phone")(normalize_mobile_phone)


class CategoriesStep(_Step):
    """Step 4: categories, training path, complementary training, licence already held."""

    categories: list[Category] = Field(min_length=1, max_length=3, description="Catégorie(s) demandée(s)")
    training_path: TrainingPath = Field(description="Formation : traditionnelle, aac ou supervisee")
    complementary_training: ComplementaryTraining = ComplementaryTraining.NONE
    has_licence: bool = Field(description="Le candidat a déjà un permis (une autre catégorie)")
    first_request: bool = Field(description="Première demande du candidat (pour l'attestation JDC)")
    held_categories: list[Category] = Field(default_factory=list, description="Catégories déjà obtenues")

    @field_validator("categories")
    @classmethod
    def _distinct(cls, value: list[Category]) -> list[Category]:
        if len(set(value)) != len(value):
            raise ValueError("Chaque catégorie ne se demande qu'une fois.")
        return value


class DeclarationsStep(_Step):
    """Step 5: the six declarations of the attestation d'inscription."""

    exam_pending_elsewhere: bool = Field(description="En instance d'examen dans le même ou un autre département")
    reads_french: bool = Field(description="Comprend et lit couramment le français")
    adapted_vehicle: bool = Field(description="Doit conduire un véhicule aménagé")
    vision_correction: bool = Field(description="Porteur d'un dispositif de correction de la vision")
    medical_condition: bool = Field(description="Atteint d'une affection ou d'un handicap susceptible d'être "
                                                "incompatible avec le permis ou d'en limiter la validité")
    disability_pension: bool = Field(description="Titulaire d'une pension d'invalidité civile ou militaire")


class MediatedContactStep(ContactStep):
    """Step 3 of a request filed with a mediator: the person may have no email, and then a French
    mobile (news by SMS) or only the postal address (news by post, letters the mediator prints)."""

    email: str | None = Field(None, max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique personnelle (facultative)")
    mobile_phone: str | None = Field(None, max_length=20, description="Téléphone portable français (facultatif)")

    # Same names as ContactStep's validators: these replace them (pydantic overrides by name).
    @field_validator("email")
    @classmethod
    def check_email_address(cls, value: str | None) -> str | None:
        return check_email(value) if value else None

    @field_validator("mobile_phone")
    @classmethod
    def check_mobile_phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        number = normalize_mobile_phone(value)
        if not number.startswith(FRENCH_MOBILE_CODES):
            raise ValueError("Les SMS de suivi ne partent que vers un portable français (06, 07 ou outre-mer) : "
                             "laissez le champ vide, les nouvelles partiront alors par courrier.")
        return number


FRENCH_MOBILE_CODES = ("+336", "+337", "+262", "+590", "+594", "+596", "+269")

CONSENT_METHODS = {"formulaire-signe": "formulaire de consentement signé, conservé par le médiateur",
                   "oral-en-presence": "consentement oral, donné en présence du médiateur"}


class ConsentStep(_Step):
    """The consent of the person a mediator files for (requests with `Mandate.MEDIATION` only):
    who consented, as in the civil status, how, when. The mediator's account and the moment it was
    recorded are set by the service, never taken from the form."""

    birth_name: str = Field(max_length=80, description="Nom de naissance de la personne, comme à l'état civil")
    first_names: str = Field(max_length=160, description="Prénoms de la personne, comme à l'état civil")
    method: Literal["formulaire-signe", "oral-en-presence"] = Field(
        description="formulaire-signe (formulaire papier signé, conservé par le médiateur) ou oral-en-presence")
    consented_on: IsoDate = Field(description="Date du consentement")
    mediator_account_id: str | None = None
    recorded_at: datetime | None = None

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_names = field_validator("first_names")(lambda v: check_name(v.replace(",", " "), "Les prénoms"))

    @field_validator("consented_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("La date du consentement ne peut pas être dans le futur.")
        return value

    def describe(self, structure: str | None) -> str:
        """One sentence for the history, the summary and the agents."""
        by = f" avec {structure}" if structure else " avec un médiateur numérique"
        return (f"Demande déposée{by} : consentement de {self.first_names} {self.birth_name} "
                f"({CONSENT_METHODS[self.method]}) le {self.consented_on:%d/%m/%Y}.")


STEPS: dict[str, type[_Step]] = {
    "procedure": ProcedureStep,
    "civil_status": CivilStatusStep,
    "contact": ContactStep,
    "categories": CategoriesStep,
    "declarations": DeclarationsStep,
}
STEP_LABELS = {"procedure": "1. Démarche et mandat", "civil_status": "2. État civil",
               "contact": "3. Adresse et coordonnées", "categories": "4. Catégories et formation",
               "declarations": "5. Déclarations", "documents": "6. Pièces justificatives",
               "summary": "7. Récapitulatif et dépôt"}


class Request(Model):
    """A request as stored. `steps` holds each saved step as validated JSON."""

    request_id: str
    procedure: Procedure
    mandate: Mandate
    status: RequestStatus
    school_id: str | None = None
    owner_account_id: str | None = None  # the candidate filing for themselves
    created_by: str
    created_at: datetime
    updated_at: datetime
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    version: int = 1
    school_name: str | None = None  # copied at creation and transfer: a list shows it without a read
    # The candidate's account: the one filing alone, or the one a school's request waits for.
    candidate_account_id: str | None = None
    submitted_at: datetime | None = None
    validation_deadline: datetime | None = None
    validation_reminded: bool = False
    # Identity fields the candidate's account and the request disagree on (the validation found them).
    identity_divergence: list[str] = Field(default_factory=list)
    neph: str | None = None  # given when a registration is validated (or the one the person has)
    # Asked by the agent: the documents to replace, and since when (a replacement is newer).
    complement_documents: list[str] = Field(default_factory=list)
    complement_asked_at: datetime | None = None
    # Back from a complement: the instruction queues take it before new requests.
    returning: bool = False
    queued_at: datetime | None = None  # when it last entered "En cours d'instruction"
    # When its queue message was last sent again (SQS keeps a message 14 days at most).
    queue_message_at: datetime | None = None
    # When it entered its status (set with every history row): public tracking answers it in one read.
    status_since: datetime | None = None
    # Filed with a digital mediator (Mandate.MEDIATION): their account, who alone follows it with the
    # person, and their structure's name (copied at creation: lists and letters show it).
    mediator_account_id: str | None = None
    structure_name: str | None = None
    # A production request opened by a CEPC: the registration whose exam it follows.
    opened_from: str | None = None
    # The licence (production requests, once validated): its order, the partners' last event
    # applied (an older one never moves it back), its shipment, the post office's 15 days, and
    # the 6 months to ask for a resend once returned (domain.licence).
    licence_ordered_at: datetime | None = None
    partner_event_at: datetime | None = None
    tracking_number: str | None = None
    post_office: str | None = None
    collect_by: datetime | None = None
    resend_until: datetime | None = None
    resend_requested_at: datetime | None = None
    destruction_warned: bool = False

    def authority(self) -> str | None:
        """Who instructs it: the DDT of the candidate's département (registrations), or the CERT."""
        from chalicelib.domain.instruction import authority_for

        departement = self.departement()
        return authority_for(self.procedure, departement) if departement else None

    def departement(self) -> str | None:
        """The département of the candidate's address (it decides which DDT instructs a registration)."""
        from chalicelib.domain.accounts import AddressInput

        address = (self.steps.get("contact") or {}).get("address")
        return AddressInput.model_validate(address).to_address().departement if address else None

    def rules_day(self, today: date) -> date:
        """The date the rules are evaluated at: the submission date, today for a draft."""
        return self.submitted_at.date() if self.submitted_at else today

    def validation_due_at(self) -> datetime | None:
        """When the validation job next looks at this request: the day-5 reminder, then the deadline."""
        if self.status is not RequestStatus.AWAITING_CANDIDATE_VALIDATION or self.validation_deadline is None:
            return None
        if self.validation_reminded:
            return self.validation_deadline
        return self.validation_deadline - timedelta(days=CANDIDATE_VALIDATION_DAYS - VALIDATION_REMINDER_DAY)

    def licence_due_at(self) -> datetime | None:
        """When the licence job next looks at this request: the end of the 15 days at the post
        office, the destruction warning, then the end of the 6 months."""
        from chalicelib.domain.licence import due_at

        return due_at(self.status, collect_deadline=self.collect_by, resend_deadline=self.resend_until,
                      resend_requested=self.resend_requested_at is not None, warned=self.destruction_warned)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def procedure_label(self) -> str:
        return PROCEDURE_LABELS[self.procedure]

    def candidate_name(self) -> str:
        civil = self.steps.get("civil_status") or {}
        return " ".join(p for p in (civil.get("first_names"), civil.get("usage_name") or civil.get("birth_name")) if p)


# A mediator's request: its contact step may have no email, and the person's consent is a step.
MEDIATION_STEPS: dict[str, type[_Step]] = {**STEPS, "contact": MediatedContactStep, "consent": ConsentStep}
STEP_LABELS["consent"] = "Consentement de la personne accompagnée"
SAVABLE_STEPS = tuple(step for step in STEPS if step != "procedure")  # step 1 is chosen at creation


def steps_for(mandate: Mandate | None) -> dict[str, type[_Step]]:
    return MEDIATION_STEPS if mandate is Mandate.MEDIATION else STEPS


def step_model(step: str, mandate: Mandate | None = None) -> type[_Step]:
    """The form of a savable step (404 for anything else) for a request filed under `mandate`."""
    forms = steps_for(mandate)
    savable = [name for name in forms if name != "procedure"]
    if step not in savable:
        raise NotFound("step_unknown", "Cette étape n'existe pas : les étapes enregistrables sont "
                       + ", ".join(savable) + ".")
    return forms[step]


def consent_of(request: Request) -> ConsentStep | None:
    saved = request.steps.get("consent") if request.mandate is Mandate.MEDIATION else None
    return ConsentStep.model_validate(saved) if saved else None


def consent_problem(request: Request) -> ErrorDetail | None:
    """A mediator's request needs the consent of the very person of the civil status."""
    from chalicelib.domain.identity_match import normalize_name

    if request.mandate is not Mandate.MEDIATION:
        return None
    consent, civil = request.steps.get("consent"), request.steps.get("civil_status")
    if not consent:
        return ErrorDetail(field="consent", code="consent_missing",
                           message="Le consentement de la personne accompagnée n'est pas enregistré : indiquez qui "
                                   "a consenti, comment et quand, avant de déposer la demande.")
    if civil and any(normalize_name(str(consent.get(k, "")).replace(",", " ")) !=
                     normalize_name(str(civil.get(k, "")).replace(",", " ")) for k in ("birth_name", "first_names")):
        return ErrorDetail(field="consent", code="consent_name_mismatch",
                           message="Le nom et les prénoms de la personne qui a consenti doivent être ceux de l'état "
                                   "civil de la demande : corrigez l'un ou l'autre.")
    return None


def missing(request: Request, day: date) -> list[ErrorDetail]:
    """What prevents submission today, step by step, in French (empty: ready to submit once the
    documents are in)."""
    from chalicelib.domain import rules  # the rule tables: built when a summary is asked for

    problems: list[ErrorDetail] = []
    for step, model in steps_for(request.mandate).items():
        saved = request.steps.get(step)
        if step == "procedure":
            continue  # chosen at creation
        if saved is None:
            problems.append(ErrorDetail(field=step, code="step_missing",
                                        message=f"Étape « {STEP_LABELS[step]} » : à remplir."))
            continue
        try:
            model.model_validate(saved)
        except ValidationError:  # rules may have changed since it was saved: it must be reviewed
            problems.append(ErrorDetail(field=step, code="step_invalid",
                                        message=f"Étape « {STEP_LABELS[step]} » : à revoir, certaines valeurs ne "
                                                "sont plus acceptées."))
    consent = consent_problem(request)
    if consent is not None and consent.code != "consent_missing":  # a missing step is listed above
        problems.append(consent)
    civil, categories = request.steps.get("civil_status"), request.steps.get("categories")
    if civil:
        birth_date = date.fromisoformat(civil["birth_date"])
        representative = rules.check_minor_has_representative(birth_date, day, bool(civil.get("legal_representative")))
        if representative is not None:
            problems.append(ErrorDetail(field="civil_status.legal_representative", code=representative.code,
                                        message=representative.message))
        if categories:
            problems += [ErrorDetail(field="categories.categories", code=p.code, message=p.message)
                         for p in rules.check_age(birth_date, request.procedure,
                                                  [Category(c) for c in categories["categories"]],
                                                  TrainingPath(categories["training_path"]), day)]
    return problems


def required_documents(request: Request, day: date) -> list["RequiredDocument"]:
    """The documents this request needs, once the steps they depend on are saved."""
    from chalicelib.domain import rules

    civil, categories = request.steps.get("civil_status"), request.steps.get("categories")
    declarations = request.steps.get("declarations") or {}
    if not civil or not categories:
        return []
    situation = rules.Situation(
        procedure=request.procedure, categories=tuple(Category(c) for c in categories["categories"]),
        path=TrainingPath(categories["training_path"]), birth_date=date.fromisoformat(civil["birth_date"]), day=day,
        first_request=bool(categories["first_request"]), has_licence=bool(categories["has_licence"]),
        declared_medical_condition=bool(declarations.get("medical_condition")),
        complementary_training=ComplementaryTraining(categories.get("complementary_training", "aucune")))
    return rules.required_documents(situation)


# --- documents -------------------------------------------------------------------------------

# Documents can be sent or replaced until instruction begins (and when a complement is asked).
UPLOADABLE = frozenset({RequestStatus.DRAFT, RequestStatus.AWAITING_CANDIDATE_VALIDATION, RequestStatus.EXPIRED,
                        RequestStatus.IMAGE_CHECK, RequestStatus.MORE_INFORMATION_REQUESTED})
READY_STATES = frozenset({"pending", "accepted"})  # uploaded: submission may go on while checking


def document_problems(required: list["RequiredDocument"], states: dict[str, dict[str, Any]]) -> list[ErrorDetail]:
    """What prevents submission on the documents side: each required document not yet sent, or
    refused (with the reason, so the filer knows what to send instead)."""
    from chalicelib.domain.rules import DocumentType

    problems = []
    for needed in required:
        record = states.get(needed.document.value) or {}
        state = record.get("state")
        field = f"documents.{needed.document.value}"
        if state == "refused":
            problems.append(ErrorDetail(field=field, code="document_refused",
                                        message=f"« {needed.label} » a été refusée : {record.get('reason')} "
                                                "Remplacez-la."))
        elif state not in READY_STATES:
            what = ("saisissez le code ePhoto" if needed.document is DocumentType.EPHOTO
                    else "joignez le fichier")
            problems.append(ErrorDetail(field=field, code="document_missing",
                                        message=f"« {needed.label} » : {what}."))
    return problems


def all_accepted(required: list["RequiredDocument"], states: dict[str, dict[str, Any]]) -> bool:
    """Every required document checked and accepted: the image check is over."""
    return all((states.get(d.document.value) or {}).get("state") == "accepted" for d in required)


def after_image_check(documents_accepted: bool) -> list[RequestStatus]:
    """The statuses a request goes through when its image check begins: it moves on to instruction
    at once when every document is accepted already, never waiting for an event that came before."""
    chain = [RequestStatus.IMAGE_CHECK]
    if documents_accepted:
        chain.append(RequestStatus.UNDER_REVIEW)
    return chain


def candidate_civil_identity(request: Request):
    from chalicelib.domain.identity_match import CivilIdentity

    civil = request.steps.get("civil_status") or {}
    birth_date = civil.get("birth_date")
    return CivilIdentity(birth_name=civil.get("birth_name", ""), first_names=civil.get("first_names", ""),
                         birth_date=date.fromisoformat(birth_date) if birth_date else None, sex=civil.get("sex"))


# --- autosave: what a person is typing in a step, kept before the step is saved ---------------

AUTOSAVE_MAX_BYTES = 16 * 1024  # the raw body of one autosave
AUTOSAVE_MAX_STRING = 500
AUTOSAVE_MAX_ITEMS = 20
AUTOSAVE_MAX_DEPTH = 3  # objects inside the step's fields (legal_representative.address: 2)
AUTOSAVE_MAX_KEY = 100
# Set by the service when the step is saved, never typed.
SERVICE_SET_FIELDS = frozenset({"mediator_account_id", "recorded_at"})


def autosave_fields(form: type[_Step]) -> list[str]:
    """The top-level fields a step's autosave may hold: the step form's own."""
    return [name for name in form.model_fields if name not in SERVICE_SET_FIELDS]


def check_autosave(form: type[_Step], data: dict[str, Any]) -> dict[str, Any]:
    """What a person is typing is kept as it is (it would not pass the step's validation yet), only
    bounded in shape: the step's own top-level fields, texts of 500 characters at most, true or
    false, null, lists of 20 items at most, objects nested 3 levels at most; no numbers (the forms
    send texts). Raises InvalidInput with one French message per field."""
    from chalicelib.domain.errors import InvalidInput

    allowed = autosave_fields(form)
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise InvalidInput("unknown_field", f"Champ inconnu pour cette étape : {', '.join(unknown)}. Champs "
                           f"acceptés : {', '.join(allowed)}.",
                           [ErrorDetail("Ce champ n'appartient pas à cette étape : retirez-le.", field=key,
                                        code="unknown_field") for key in unknown])
    problems: list[ErrorDetail] = []

    def check(value: Any, path: str, depth: int) -> None:
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, str):
            if len(value) > AUTOSAVE_MAX_STRING:
                problems.append(ErrorDetail(f"Ce texte est trop long : {AUTOSAVE_MAX_STRING} caractères au "
                                            "maximum.", field=path, code="string_too_long"))
        elif isinstance(value, (int, float)):
            problems.append(ErrorDetail("Un nombre n'est pas accepté ici : envoyez la saisie comme un texte.",
                                        field=path, code="number_refused"))
        elif isinstance(value, list):
            if len(value) > AUTOSAVE_MAX_ITEMS:
                problems.append(ErrorDetail(f"Cette liste est trop longue : {AUTOSAVE_MAX_ITEMS} éléments au "
                                            "maximum.", field=path, code="list_too_long"))
                return
            for index, item in enumerate(value):
                check(item, f"{path}.{index}", depth)
        elif isinstance(value, dict):
            if depth >= AUTOSAVE_MAX_DEPTH:
                problems.append(ErrorDetail(f"Trop d'objets imbriqués : {AUTOSAVE_MAX_DEPTH} niveaux au maximum.",
                                            field=path, code="too_deep"))
                return
            for key, item in value.items():
                if not key or len(key) > AUTOSAVE_MAX_KEY:  # DynamoDB refuses an empty name
                    problems.append(ErrorDetail(f"Nom de champ vide ou trop long : de 1 à {AUTOSAVE_MAX_KEY} "
                                                "caractères.", field=path, code="key_invalid"))
                    continue
                check(item, f"{path}.{key}", depth + 1)
        else:  # not reachable from JSON
            problems.append(ErrorDetail("Valeur non acceptée.", field=path, code="value_refused"))

    for key, value in data.items():
        check(value, key, 0)
    if problems:
        raise InvalidInput("validation_failed", "La saisie en cours contient des champs à corriger : voyez le "
                           "détail de chaque champ.", problems)
    return data
