"""The one source of truth for every AWS resource of Permis en ligne.

The embedded local stack (`chalicelib/local/provision.py`) creates exactly these in moto and
`infra/` deploys exactly these. Code never hard-codes a physical name: it asks this module, and
functions read the physical identifiers from environment variables named here (set by infra or by
the local launcher). Adding a queue is one `Queue(...)` line in `CATALOGUE`.

This module is imported by the Lambda functions: it stays pure Python (no boto3). The resource
descriptions are NamedTuples rather than frozen dataclasses: every function imports this module on
a cold start, and a NamedTuple class is built about fifteen times faster (bench/README.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import NamedTuple

APP_NAME = "permis"
DEFAULT_REGION = "eu-west-3"  # Paris
DEFAULT_STAGE = "local"
# The stages infra/ deploys to AWS. Every other stage (local, test) runs on moto and also has the
# demo resource (a message, its event and its worker), which never ships to AWS.
DEPLOYED_STAGES = ("dev", "prod")


def current_stage() -> str:
    return os.environ.get("PERMIS_STAGE", DEFAULT_STAGE)


SCHEDULED_JOBS_ON_FAILURE = "job-failures"


def runs_deployed(stage: str | None = None) -> bool:
    return (stage or current_stage()) in DEPLOYED_STAGES


def current_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def physical_name(logical: str, stage: str | None = None) -> str:
    """`permis-<stage>-<logical>`: unique per stage, so dev and prod can share an account."""
    return f"{APP_NAME}-{stage or current_stage()}-{logical}"


def _env_key(kind: str, logical: str, suffix: str) -> str:
    return f"{kind}_{logical.upper().replace('-', '_')}_{suffix}"


class Index(NamedTuple):
    name: str
    partition_key: str
    sort_key: str | None = None


class Table(NamedTuple):
    logical: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream_view: str | None = None  # e.g. NEW_AND_OLD_IMAGES when a handler consumes the stream
    access_patterns: tuple[str, ...] = ()  # written next to the key design, read by engineers

    @property
    def env_name(self) -> str:
        return _env_key("TABLE", self.logical, "NAME")

    @property
    def env_stream_arn(self) -> str:
        return _env_key("TABLE", self.logical, "STREAM_ARN")


class Queue(NamedTuple):
    logical: str
    max_receive_count: int = 5
    # Lambda's rule: at least six times the consumer's timeout.
    visibility_timeout_seconds: int = 6 * 60
    message_retention_seconds: int = 4 * 24 * 3600
    dead_letter_retention_seconds: int = 14 * 24 * 3600
    has_dead_letter_queue: bool = True
    # Operators are alarmed when the oldest message waits longer than this (None: no alarm).
    max_message_age_seconds: int | None = 15 * 60
    local_only: bool = False  # moto only, never deployed (see DEPLOYED_STAGES)

    @property
    def dead_letter_logical(self) -> str:
        return f"{self.logical}-dlq"

    @property
    def env_url(self) -> str:
        return _env_key("QUEUE", self.logical, "URL")

    @property
    def env_dead_letter_url(self) -> str:
        return _env_key("QUEUE", self.dead_letter_logical, "URL")


class QueueFamily(NamedTuple):
    """Queues of human work, one set per member (an authority that instructs requests): a queue of
    new requests `<logical>-<member>`, a queue of requests back from a complement
    `<logical>-<member>-retours` (served first: a returning request goes to the front of the line),
    and their shared dead-letter queue `<logical>-<member>-dlq`. A claim is a receive whose
    visibility timeout is the agent's lease; nothing consumes them automatically.

    Too many to give each its own environment variable (Lambda allows 4 KB of them): one variable
    (`env_url_prefix`) holds the URL all of the family's queues start with, e.g.
    `https://sqs.eu-west-3.amazonaws.com/<account>/permis-prod-instruction-`, followed by the member
    and lane; IAM grants cover them by the same name prefix."""

    logical: str
    members: tuple[str, ...]
    lease_seconds: int = 15 * 60  # an agent's claim, extendable while they work
    # Receives before a message is set aside: a request released again and again by agents who
    # cannot decide it needs someone to look at it (and a message no code can read goes there too).
    max_receive_count: int = 20
    # SQS's maximum: requests waiting longer get their message sent again (requeue_long_waiting).
    message_retention_seconds: int = 14 * 24 * 3600
    dead_letter_retention_seconds: int = 14 * 24 * 3600

    def queue_logical(self, member: str, returning: bool = False) -> str:
        if member not in self.members:
            raise KeyError(f"{member!r} is not a member of the queue family {self.logical!r}")
        return f"{self.logical}-{member}" + (RETURNS_SUFFIX if returning else "")

    def dead_letter_logical(self, member: str) -> str:
        return f"{self.queue_logical(member)}-dlq"

    def all_logicals(self, members: tuple[str, ...] | None = None) -> list[str]:
        return [name for member in (self.members if members is None else members)
                for name in (self.queue_logical(member), self.queue_logical(member, True),
                             self.dead_letter_logical(member))]

    @property
    def env_url_prefix(self) -> str:
        return _env_key("QUEUE_FAMILY", self.logical, "URL_PREFIX")

    def physical_prefix(self, stage: str | None = None) -> str:
        """What every physical name of the family starts with (IAM grants name it, with a `*`)."""
        return physical_name(f"{self.logical}-", stage)


RETURNS_SUFFIX = "-retours"


class CorsRule(NamedTuple):
    methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ("*",)
    max_age_seconds: int = 3000


class Retention(NamedTuple):
    """Objects under `prefix` are deleted `days` after their creation (S3 lifecycle rule)."""

    prefix: str
    days: int
    why: str


class Bucket(NamedTuple):
    logical: str
    cors: tuple[CorsRule, ...] = ()
    versioned: bool = True
    retention: tuple[Retention, ...] = ()
    # Replaced or deleted versions are kept this long, to undo a mistake, then deleted.
    noncurrent_version_days: int = 30
    # New objects under `notify_prefix` are announced on this queue (S3 event notification).
    notify_queue: str | None = None
    notify_prefix: str = ""

    @property
    def env_name(self) -> str:
        return _env_key("BUCKET", self.logical, "NAME")


class SmsSender(NamedTuple):
    """Text messages published by SNS straight to phone numbers (no topic): the sender name phones
    show (alphanumeric, 11 characters at most) and the SMS type (Transactional: delivery first)."""

    logical: str
    sender_id: str
    sms_type: str = "Transactional"

    @property
    def env_sender_id(self) -> str:
        return _env_key("SMS", self.logical, "SENDER_ID")


class Topic(NamedTuple):
    logical: str

    @property
    def env_arn(self) -> str:
        return _env_key("TOPIC", self.logical, "ARN")


class EmailIdentity(NamedTuple):
    logical: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]

    @property
    def env_address(self) -> str:
        return _env_key("EMAIL", self.logical, "ADDRESS")

    @property
    def env_configuration_set(self) -> str:
        return _env_key("EMAIL", self.logical, "CONFIGURATION_SET")


class UserPool(NamedTuple):
    logical: str
    client_logical: str
    groups: tuple[str, ...]
    staff_groups: tuple[str, ...]
    # Cognito pre-token-generation trigger that keeps staff roles out of tokens until MFA is set.
    staff_mfa_function: str | None = None

    @property
    def env_id(self) -> str:
        return _env_key("USER_POOL", self.logical, "ID")

    @property
    def env_client_id(self) -> str:
        return _env_key("USER_POOL", self.logical, "CLIENT_ID")

    @property
    def env_domain(self) -> str:
        """Base URL of the pool's OAuth endpoints (/oauth2/authorize, /oauth2/token): FranceConnect."""
        return _env_key("USER_POOL", self.logical, "DOMAIN")


class Key(NamedTuple):
    logical: str
    spec: str = "SYMMETRIC_DEFAULT"
    usage: str = "ENCRYPT_DECRYPT"
    description: str = ""

    @property
    def env_id(self) -> str:
        return _env_key("KMS", self.logical, "KEY_ID")


class Secret(NamedTuple):
    """A random secret generated at deployment (never in code or config), read by the functions."""

    logical: str
    description: str = ""

    @property
    def env_arn(self) -> str:
        return _env_key("SECRET", self.logical, "ARN")


class StreamConsumer(NamedTuple):
    """Settings Chalice cannot express for a DynamoDB stream handler (infra applies them; the
    local event pump honours them)."""

    function: str  # the Chalice handler's function name
    table: str
    max_retry_attempts: int
    on_failure_queue: str  # logical queue that receives Lambda's failure record


class Access(NamedTuple):
    """What one function does to one resource, as IAM actions. infra/ turns these into the
    function's role; tests/integration/test_permissions.py records the calls each function really
    makes and fails when one is missing here or when one declared here is never made."""

    # "table", "queue", "queue_family", "bucket", "topic", "email", "sms", "user_pool", "key", "secret".
    # "sms": SNS publishes to phone numbers, which have no ARN: IAM's resource is "*" (infra/permissions.py).
    kind: str
    logical: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    buckets: tuple[Bucket, ...]
    topics: tuple[Topic, ...]
    email_identities: tuple[EmailIdentity, ...]
    user_pools: tuple[UserPool, ...]
    keys: tuple[Key, ...]
    secrets: tuple[Secret, ...] = ()
    stream_consumers: tuple[StreamConsumer, ...] = field(default=())
    # Chalice function name -> what it touches. The event sources a function is bound to
    # (its queue, its stream) are added by infra from the app itself, not declared here.
    function_access: dict[str, tuple[Access, ...]] = field(default_factory=dict)
    queue_families: tuple[QueueFamily, ...] = ()
    sms_senders: tuple[SmsSender, ...] = ()
    local_only_functions: tuple[str, ...] = ()  # registered by app.py only outside DEPLOYED_STAGES

    def deployed(self) -> "Catalogue":
        """What infra/ deploys: the catalogue without its local-only queues and functions."""
        local_queues = {queue.logical for queue in self.queues if queue.local_only}
        return replace(
            self, queues=tuple(queue for queue in self.queues if not queue.local_only),
            function_access={function: tuple(access for access in accesses
                                             if not (access.kind == "queue" and access.logical in local_queues))
                             for function, accesses in self.function_access.items()
                             if function not in self.local_only_functions},
            local_only_functions=())

    def sms_sender(self, logical: str) -> SmsSender:
        return _by_logical(self.sms_senders, logical)

    def queue_family(self, logical: str) -> QueueFamily:
        return _by_logical(self.queue_families, logical)

    def table(self, logical: str) -> Table:
        return _by_logical(self.tables, logical)

    def queue(self, logical: str) -> Queue:
        return _by_logical(self.queues, logical)

    def bucket(self, logical: str) -> Bucket:
        return _by_logical(self.buckets, logical)

    def topic(self, logical: str) -> Topic:
        return _by_logical(self.topics, logical)

    def email_identity(self, logical: str) -> EmailIdentity:
        return _by_logical(self.email_identities, logical)

    def user_pool(self, logical: str) -> UserPool:
        return _by_logical(self.user_pools, logical)

    def key(self, logical: str) -> Key:
        return _by_logical(self.keys, logical)

    def secret(self, logical: str) -> Secret:
        return _by_logical(self.secrets, logical)

    def stream_consumer(self, function: str) -> StreamConsumer | None:
        return next((c for c in self.stream_consumers if c.function == function), None)


def _by_logical(items, logical):
    for item in items:
        if item.logical == logical:
            return item
    raise KeyError(f"no resource named {logical!r} in the catalogue")


# Key prefixes of the documents bucket: the retention rules and the checker's notification use them.
UPLOADS_PREFIX = "uploads/"  # as the browser sent them: checked, then deleted
CHECKED_PREFIX = "checked/"  # accepted documents, re-encoded without metadata
EXPORTS_PREFIX = "exports/"
RECEIPTS_PREFIX = "receipts/"  # deposit receipts (PDF), made by a worker after submission
ATTESTATIONS_PREFIX = "attestations/"  # attestations d'inscription, fiches retour (PDF, signed QR code)
DOSSIERS_PREFIX = "dossiers/"  # a whole request as one PDF, made for an agent who asked (issue 20)


def instruction_authorities() -> tuple[str, ...]:
    """The members of the instruction queue family: the DDT of every département, and the CERT."""
    from chalicelib.domain.geography import DEPARTEMENTS

    return (*(f"ddt-{code.lower()}" for code in DEPARTEMENTS), "cert")


MAIN_TABLE = Table(
    logical="main",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("gsi1", "gsi1pk", "gsi1sk"), Index("gsi2", "gsi2pk", "gsi2sk"), Index("gsi3", "gsi3pk", "gsi3sk")),
    ttl_attribute="expires_at",
    stream_view="NEW_AND_OLD_IMAGES",
    access_patterns=(
        "demo message by id: GetItem pk=DEMO#<id>, sk=DEMO",
        "outbox event: Put pk=OUTBOX#<event id>, sk=OUTBOX in the same transaction as the change;"
        " read only from the stream, expires after 7 days (expires_at)",
        "demo messages newest first: Query gsi1 gsi1pk=DEMO, ScanIndexForward=false",
        "account: GetItem pk=ACCOUNT#<Cognito sub>, sk=PROFILE; accounts awaiting activation: Query gsi1"
        " gsi1pk=PENDING, gsi1sk < <now> (the purge job)",
        "who owns an email: GetItem pk=EMAIL#<email>, sk=EMAIL (put with the account, conditionally: one"
        " account per email)",
        "agrément registry: GetItem pk=AGREMENT#<number>, sk=AGREMENT; bound by a conditional update",
        "school and its members: Query pk=SCHOOL#<id>, sk begins_with MEMBER#",
        "emailed link: GetItem pk=LINK#<sha256 of the token>, sk=LINK (expires_at)",
        "anti-robot proof used: conditional Put pk=ALTCHA#<signature> (expires_at)",
        "email sent for an event: GetItem/Put pk=SENT#<event id> (expires_at)",
        "notification sent to one recipient for an event: GetItem/Put pk=SENT#<event id>#<channel>#<sha256 of the"
        " address, 16 hex> (expires_at: 14 days)",
        "a request's alert subscriptions: GetItem/Put/Update pk=ALERT#<request number>, sk=SUB#<email|sms>#<address>"
        " (pending ones expire_at a day after their code); the notifications worker Queries sk begins_with SUB#",
        "alert unsubscribe link: GetItem pk=UNSUBSCRIBE#<sha256 of the token>, sk=UNSUBSCRIBE (points to the"
        " subscription, put when it is confirmed)",
        "request: GetItem pk=REQUEST#<number>, sk=REQUEST; put conditionally on its version; drafts carry"
        " expires_at (3 months after their last change)",
        "what is typed in a draft's step, not saved yet: Put pk=REQUEST#<number>, sk=AUTOSAVE#<step> (fields,"
        " saved_at, the draft's expires_at) in a transaction with a ConditionCheck status = brouillon on the"
        " request (its version untouched); deleted in the transaction that saves the step; Query sk begins_with"
        " AUTOSAVE#",
        "a draft deleted: one transaction of Delete REQUEST#<number>/REQUEST on condition status = brouillon AND"
        " version = <read>, ConditionCheck APPOINTMENT_REQUEST#<number>/CURRENT absent or begun, the outbox"
        " event; then the draft-deletions worker Queries pk=REQUEST#<number> and pk=ALERT#<number> (every item,"
        " paginated) and BatchWriteItem-deletes them, deletes EPHOTO#<code> on condition request_id = <number>;"
        " a draft purged by TTL gets the same worker from the stream's REMOVE record",
        "an owner's requests newest first: Query gsi1 gsi1pk=<SCHOOL#id or ACCOUNT#id>#REQUESTS,"
        " ScanIndexForward=false, filters on status, procedure, search_name; cursor = LastEvaluatedKey",
        "a request's documents: Query pk=REQUEST#<number>, sk begins_with DOC#; the checker updates"
        " DOC#<type> on condition that it is about the upload it checked",
        "a request's ePhoto images (issue 20): an agent's first view Updates DOC#ephoto SET fetch_state = pending,"
        " fetch_at on condition code = <code> AND fetch_at is the one read (absent the first time), with the"
        " request.ephoto_requested event, in one transaction; the attestations worker GetItem DOC#ephoto, then"
        " Updates fetch_state (done, not_found, unavailable, refused), fetch_at and <part>_key,"
        " <part>_content_type on condition code = <code> (files under checked/<number>/ephoto/)",
        "a request's history: Query pk=REQUEST#<number>, sk begins_with HISTORY# (HISTORY#<time>#<nn>, put"
        " in the same transaction as the change)",
        "a request's receipt: GetItem pk=REQUEST#<number>, sk=RECEIPT (the S3 key of the PDF and its signed QR"
        " payload, reused when it is made again)",
        "a request's attestations: GetItem pk=REQUEST#<number>, sk=ISSUED#<ATT|FRP> (the S3 key of the PDF and"
        " its signed QR payload, reused when it is made again)",
        "who holds a request now: GetItem pk=REQUEST#<number>, sk=CLAIM; Put on condition none is running or it"
        " is the agent's own; deleted in the decision's transaction on condition it is still theirs",
        "agents' reads of a request and its documents: Put pk=REQUEST#<number>, sk=READ#<time>#<agent>#<what>;"
        " Query sk begins_with READ# (administrators)",
        "an authority's worklist (issue 20), each tab from gsi3, cursor = LastEvaluatedKey: à traiter Query"
        " gsi3pk=INSTRUCTION#<authority> (+ one BatchGetItem of the page's CLAIM and THREAD items), en cours Query"
        " gsi3pk=CLAIMS#<authority>, gsi3sk > <now> (+ one BatchGetItem of the requests), complément Query"
        " gsi3pk=COMPLEMENT#<authority> (+ the same BatchGetItem), traités Query gsi3pk=DECIDED#<authority>, gsi3sk > <now - 30 days>"
        " (REQUEST#<number>/DECIDED#<time>, put in the decision's transaction, TTL 31 days); filters on"
        " procedure and search_name; a number or a NEPH: BatchGetItem of the request and of the NEPH's"
        " REGISTRATION# rows (Query pk=NEPH#<neph>)",
        "agents' private notes on a request: Put pk=REQUEST#<number>, sk=NOTE#<time>#<id> (one item per note,"
        " on condition it is new); Query sk begins_with NOTE# (the agents of the request's authority)",
        "a request's messages (issue 20): Put pk=REQUEST#<number>, sk=MESSAGE#<time>#<id> (one item per"
        " message, TTL 2 years) with its outbox event and a ConditionCheck of the request's status, in one"
        " transaction; Query sk begins_with MESSAGE# (its filing side, the agents of its authority, the"
        " notifications worker for who hears of it, the account export); Update pk=REQUEST#<number>, sk=THREAD"
        " (last_side, last_at) in the same transaction, read by the worklist's BatchGetItem",
        "a message's attachments: Put pk=REQUEST#<number>, sk=MESSAGE#ATTACHMENT#<id> with the upload form"
        " (TTL 1 day until sent); the checker's GetItem and conditional UpdateItem (key unchanged, not checked"
        " yet); GetItem of each named by a message, Update in the message's transaction (the author's, unsent,"
        " not refused; TTL then the message's); read with the thread's Query (same range); GetItem to open it",
        "a school's convocations (issue 20): Put pk=REQUEST#<number>, sk=CONVOCATION#<day>#<test>#<category> on"
        " condition it is new (TTL a year after its day; gsi3pk=EXAMDAY#<day>#<centre>, gsi3sk=CONVOCATION#<time>#..."
        " so the centre's day sheet Query lists it); Query sk begins_with CONVOCATION# (its school, candidate,"
        " mediator); DeleteItem on condition it exists (until the day before)",
        "an authority's decisions per day: Update pk=STATS#INSTRUCTION#<authority>, sk=DAY#<date> by the"
        " statistics worker from the committed decision event, never in the decision's transaction (ADD"
        " decisions, <kind>, delays_h<edge> buckets); Query sk BETWEEN two days (queue health)",
        "requests awaiting instruction, oldest first: Query gsi3 gsi3pk=INSTRUCTION#<authority>, Limit 1"
        " (sparse: only requests \"En cours d'instruction\" carry it)",
        "a candidate's requests newest first (filed alone or by a school): Query gsi2"
        " gsi2pk=CANDIDATE#<account id>#REQUESTS, ScanIndexForward=false",
        "requests awaiting the candidate's validation by due time (reminder, then expiry): Query gsi3"
        " gsi3pk=VALIDATION_DUE, gsi3sk <= <now> (sparse: only those requests carry it)",
        "submission already done for an Idempotency-Key: GetItem pk=IDEMPOTENCY#<account>#<key>, put in the"
        " submission's transaction (expires_at: 24 hours)",
        "ePhoto code used: Put pk=EPHOTO#<code> in the submission's transaction, on condition it is free or"
        " already this request's",
        "NEPH order, office after office of the département's month (10, then 11... once the previous gave its"
        " 9,999th): the lowest hole first (Query pk=NEPHHOLE#<YYMM DD OO> Limit 1, deleted on condition in the"
        " decision's transaction), else UpdateItem ADD on pk=COUNTER#NEPH#<YYMM DD OO> (atomic, refused only"
        " once the office's counter is at 9,999);"
        " NEPH#<neph> and IDENTITY#<identity key> put in the decision's transaction (a NEPH never given twice;"
        " a person keeps theirs: GetItem pk=IDENTITY#<key>, sk=NEPH); a refused decision puts its order back"
        " as NEPHHOLE#<prefix> / <order>",
        "a NEPH's registrations (examiners record results against the NEPH): Query pk=NEPH#<neph> (the NEPH item"
        " names the first; REGISTRATION#<number> put in each registration's decision transaction)",
        "a registration's exam results: Put pk=REQUEST#<number>, sk=EXAM#<day>#<test>#<category> on condition it"
        " is new (one per test, category and day); Query sk begins_with EXAM#",
        "a registration's CEPCs: Put pk=REQUEST#<number>, sk=CEPC#<category> on condition it is new, with the"
        " production request it opens, in the favourable practical's transaction; Query sk begins_with CEPC#",
        "public tracking: GetItem pk=REQUEST#<number>, sk=REQUEST, ProjectionExpression status, procedure,"
        " status_since (nothing personal read)",
        "licences with a time-based step to come (end of the 15 days at the post office, destruction warning, end"
        " of the 6 months): Query gsi3 gsi3pk=LICENCE_DUE, gsi3sk <= <now> (sparse: only those requests carry it)",
        "a partner's event about a licence: Put pk=REQUEST#<number>, sk=PARTNER_EVENT#<partner>#<event id> in the"
        " transaction of what it changes, on condition it is new (a replay fails it); GetItem to tell a replay",
        "support ticket: GetItem pk=SUPPORT#<ticket number>, sk=TICKET; Put with its outbox event, on condition it"
        " is new, then (answer, promise breached) on condition of its version and that it is still open; answered"
        " ones expire a year later (expires_at)",
        "a sender's support tickets newest first: Query gsi1 gsi1pk=<SCHOOL#id or ACCOUNT#id>#SUPPORT,"
        " ScanIndexForward=false",
        "a département's open support tickets, oldest first: Query gsi2 gsi2pk=SUPPORT#<département>#OPEN (sparse:"
        " the answer removes it)",
        "support tickets past the one-week promise: Query gsi3 gsi3pk=SUPPORT_DUE, gsi3sk <= <now> (sparse: open"
        " tickets not yet recorded as breached; gsi3sk = opened + 7 days)",
        "a digital mediator's requests newest first: Query gsi1 gsi1pk=MEDIATOR#<account id>#REQUESTS,"
        " ScanIndexForward=false (a mediator's request has no school: never in a SCHOOL# partition)",
        "letters a mediator posts to people without email nor mobile: Put pk=MEDIATOR#<account id>,"
        " sk=LETTER#<event time>#<event id> (the same event puts the same item; expires_at: 90 days); Query sk"
        " begins_with LETTER#, ScanIndexForward=false",
        "appointment slot (issue 9): Put pk=APPOINTMENT_SLOT#<id>, sk=SLOT on condition it is new; a département's"
        " slots by start: Query gsi1 gsi1pk=APPOINTMENT_SLOTS#<département>, gsi1sk BETWEEN two instants; deleted"
        " on condition booked = 0",
        "appointment booking: one transaction of Update APPOINTMENT_SLOT#<id>/SLOT SET booked = booked + 1 on"
        " condition booked < capacity, Put sk=BOOKING#<request> on condition it is new, Put"
        " APPOINTMENT_REQUEST#<request>/CURRENT on condition none or its starts_at is past (one future appointment"
        " per request), the outbox event; cancelled by the reverse transaction (Delete, booked - 1, Delete)",
        "a slot's bookings: Query pk=APPOINTMENT_SLOT#<id>, sk begins_with BOOKING#; a school's bookings by start:"
        " Query gsi1 gsi1pk=SCHOOL#<id>#APPOINTMENTS, gsi1sk >= <today>",
        "bookings whose reminder is due: Query gsi3 gsi3pk=APPOINTMENT_REMINDER_DUE, gsi3sk <= <now> (sparse:"
        " removed with the reminder's outbox event, in one transaction on condition it is still there)",
        "statistics' counters (issue 9): Update pk=STATS#DEP#<code>, sk=DAY#<YYYY-MM-DD> and sk=MONTH#<YYYY-MM>,"
        " and pk=STATS#NATIONAL, sk=DAY#<YYYY-MM-DD>#<k> and MONTH#<YYYY-MM>#<k> (k: one of 4 shards by a hash of"
        " the event id) (ADD counters: submitted, processed, accounts_opened, waiting_<status> +1/-1,"
        " decisions_<procedure>, band_<1_4|5_10|11> moves, support_*; the day's delay histogram"
        " delays_<procedure>_h<edge>: every item bounded, at most 10 KB), in one transaction per event (or per"
        " queue batch) with Put pk=STATS#EVENT#<event id> on condition it is new (expires_at: 30 days);"
        " GET /statistics: Query sk BETWEEN MONTH#0000 AND MONTH#<month before the date>~ (cumulative) and"
        " sk BETWEEN DAY#<period start or 1st of the month> AND DAY#<date>~ (period, month to date; at most 100"
        " days), for the scope and, for a département, the national one; shards summed per day and month",
        "a school's filed requests (its band 1-4 / 5-10 / 11+): GetItem pk=STATS#SCHOOL#<id>, sk=FILED, then"
        " Update on condition requests is the value read, in the event's transaction; a request's first filing:"
        " Put pk=STATS#REQUEST#<number>, sk=FILED on condition it is new (a submission after a take-back is not"
        " counted again)",
        "agrément registry size per département at each load: Update pk=STATS#REGISTRY, sk=DAY#<date> (SET"
        " sizes.<code>); Query sk <= DAY#<date>, the latest load of each département wins",
    ),
)

CATALOGUE = Catalogue(
    tables=(MAIN_TABLE,),
    queues=(
        # Demo worker of the platform issue: proves the outbox → stream → SQS → worker path (moto only).
        Queue("demo", local_only=True),
        # Failure destination of stream consumers (Lambda's on-failure record); replayable.
        Queue("stream-failures", has_dead_letter_queue=False, max_message_age_seconds=None),
        # Failure destination of the scheduled jobs (Lambda's asynchronous on-failure record, after
        # its 2 retries): for the operators' alarm and reading; nothing to replay, the next run does
        # the work again (what is due stays due until it is done).
        Queue(SCHEDULED_JOBS_ON_FAILURE, has_dead_letter_queue=False, max_message_age_seconds=None),
        # Every upload to the documents bucket is announced here for the checker worker.
        Queue("document-checks"),
        # Emails to send (activation, invitation, password reset...), from outbox events.
        Queue("emails", max_message_age_seconds=10 * 60),
        # Deposit receipts to generate (PDF), from the submission's outbox event.
        Queue("receipts"),
        # Attestations to make (PDF with a signed QR code), from the agent's validation.
        Queue("attestations"),
        # Notifications and alerts (email, SMS) of a request's steps, and alert confirmation codes.
        Queue("notifications", max_message_age_seconds=10 * 60),
        # Statistics' counters to move, from status changes, school accounts opened, support tickets.
        Queue("statistics"),
        # What a deleted draft left (items, files), from its deletion's outbox event or its TTL purge.
        Queue("draft-deletions"),
    ),
    buckets=(
        # Supporting documents, uploaded by presigned POST from the web origin.
        Bucket(
            "documents",
            cors=(CorsRule(methods=("POST",)),),
            notify_queue="document-checks",
            notify_prefix=UPLOADS_PREFIX,
            retention=(
                Retention(UPLOADS_PREFIX, 7, "fichiers envoyés : vérifiés puis effacés, 7 jours au plus"),
                Retention(CHECKED_PREFIX, 3 * 365, "pièces justificatives : 3 ans après le dépôt"),
                Retention(EXPORTS_PREFIX, 7, "exports de données personnelles : 7 jours pour les télécharger"),
                Retention(RECEIPTS_PREFIX, 3 * 365, "récépissés de dépôt : 3 ans, comme les pièces"),
                Retention(ATTESTATIONS_PREFIX, 5 * 365, "attestations : 5 ans, la durée de validité de l'épreuve "
                                                        "théorique pendant laquelle l'inscription sert"),
                Retention(DOSSIERS_PREFIX, 1, "dossiers complets faits pour un agent : 1 jour (refaits à la "
                                              "demande ; la demande elle-même reste la source)"),
            ),
        ),
    ),
    topics=(Topic("alerts"),),
    email_identities=(EmailIdentity("notifications", "ne-pas-repondre@permis-en-ligne.example.fr"),),
    sms_senders=(SmsSender("alerts", sender_id="PermisLigne"),),
    local_only_functions=("process_demo_messages",),
    user_pools=(
        UserPool(
            logical="users",
            client_logical="web",
            groups=("candidat", "auto-ecole", "instructeur-ddt", "instructeur-cert", "inspecteur", "prefecture",
                    "mediateur"),
            staff_groups=("instructeur-ddt", "instructeur-cert", "inspecteur", "prefecture"),
            staff_mfa_function="staff_mfa_gate",
        ),
    ),
    keys=(
        Key("data", description="Chiffrement au repos des données personnelles"),
        Key("signing", spec="ECC_NIST_P256", usage="SIGN_VERIFY", description="Signature des attestations"),
    ),
    secrets=(
        # Master key of the HMACs: anti-robot challenges, links sent by email (activation...).
        Secret("hmac", description="Clé HMAC : défis anti-robot et liens envoyés par courriel"),
        # One key per partner of the licence's way: they sign their events with it (HMAC-SHA256).
        Secret("partner-imprimerie-nationale", description="Clé HMAC de l'Imprimerie nationale (événements des titres)"),
        Secret("partner-la-poste", description="Clé HMAC de La Poste (événements des titres)"),
        # FranceConnect's client secret, read by Cognito (its identity provider), not by the functions:
        # generated at creation, then replaced by the one FranceConnect gives (infra/README.md).
        Secret("franceconnect", description="Secret client FranceConnect (lu par Cognito, fournisseur d'identité)"),
    ),
    stream_consumers=(
        StreamConsumer(function="relay_outbox", table="main", max_retry_attempts=3, on_failure_queue="stream-failures"),
    ),
    queue_families=(
        # Requests awaiting instruction, per authority: agents claim them (issue 6).
        QueueFamily("instruction", members=instruction_authorities()),
    ),
    function_access={
        "api_handler": (
            # BatchGetItem: a page of the agents' worklist reads who holds its rows in one call.
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                     "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:Query",
                                     "dynamodb:BatchGetItem")),
            # Accounts are opened, activated, signed out and closed by the API (never self sign-up).
            Access("user_pool", "users", ("cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup",
                                          "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminDeleteUser",
                                          "cognito-idp:AdminUserGlobalSignOut",
                                          "cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminGetUser",
                                          "cognito-idp:AdminLinkProviderForUser")),
            Access("secret", "hmac", ("secretsmanager:GetSecretValue",)),
            # The partners' signed events are checked with each partner's key.
            Access("secret", "partner-imprimerie-nationale", ("secretsmanager:GetSecretValue",)),
            Access("secret", "partner-la-poste", ("secretsmanager:GetSecretValue",)),
            # Presigned POSTs (uploads) and GETs (receipts) are signed with the function's role: S3
            # checks its rights. GetObject also lets a submission see an upload not checked yet.
            Access("bucket", "documents", ("s3:PutObject", "s3:GetObject")),
            # Agents' claims (receive = lease, change visibility = extend or release, delete = the
            # decision), queue health, and the administrators' dead-letter replay.
            Access("queue_family", "instruction", ("sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                   "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                                                   "sqs:SendMessage")),
            # The public verification of an attestation's QR code checks it with the public key.
            Access("key", "signing", ("kms:GetPublicKey",)),
        ),
        "relay_outbox": (
            Access("queue_family", "instruction", ("sqs:SendMessage",)),
            Access("queue", "attestations", ("sqs:SendMessage",)),
            Access("queue", "demo", ("sqs:SendMessage",)),
            Access("queue", "emails", ("sqs:SendMessage",)),
            Access("queue", "receipts", ("sqs:SendMessage",)),
            Access("queue", "notifications", ("sqs:SendMessage",)),
            Access("queue", "statistics", ("sqs:SendMessage",)),
            Access("queue", "draft-deletions", ("sqs:SendMessage",)),
        ),
        "check_documents": (
            # The check's result, then the request moved to instruction when it was the last one.
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query",
                                     "dynamodb:PutItem")),
            Access("bucket", "documents", ("s3:GetObject", "s3:PutObject", "s3:DeleteObjectVersion")),
        ),
        "make_attestations": (
            # The request, its exam results and CEPCs (Query), what was issued (GetItem/PutItem); an
            # agent's dossier: its documents and history (Query), its record marked made (UpdateItem); a
            # request's ePhoto images (DOC#ephoto read, then updated with their keys; the files PutObject).
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                                     "dynamodb:UpdateItem")),
            Access("bucket", "documents", ("s3:PutObject",)),
            Access("key", "signing", ("kms:Sign", "kms:GetPublicKey")),
        ),
        "requeue_long_waiting": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem")),
        ),
        # A deleted draft's remains: its partition and alert subscriptions (Query, BatchWriteItem), its
        # ePhoto claim (conditional DeleteItem), every version of its files (listed, then deleted).
        "purge_deleted_drafts": (
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem",
                                     "dynamodb:DeleteItem")),
            Access("bucket", "documents", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
        ),
        "make_receipts": (
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem")),
            Access("bucket", "documents", ("s3:PutObject",)),
            # The receipt's QR code is signed as the attestations' are.
            Access("key", "signing", ("kms:Sign", "kms:GetPublicKey")),
        ),
        # The licence's time-based steps: each one transaction of Puts (request, history, event).
        "advance_licences": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem")),
        ),
        "remind_and_expire_validations": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
        ),
        "process_demo_messages": (
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem")),
        ),
        "send_emails": (
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                     "dynamodb:DeleteItem")),
            Access("email", "notifications", ("ses:SendEmail",)),
            Access("secret", "hmac", ("secretsmanager:GetSecretValue",)),
        ),
        "send_notifications": (
            # The request, the candidate's and the school's accounts, the subscriptions; a marker per
            # recipient sent (a replay sends nothing twice).
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")),
            Access("email", "notifications", ("ses:SendEmail",)),
            Access("sms", "alerts", ("sns:Publish",)),
            # Unsubscribe links and confirmation codes are rebuilt from their nonce with the HMAC key.
            Access("secret", "hmac", ("secretsmanager:GetSecretValue",)),
        ),
        "purge_unactivated_accounts": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:DeleteItem",
                                     "dynamodb:UpdateItem")),
            Access("user_pool", "users", ("cognito-idp:AdminDeleteUser",)),
        ),
        # The support desk's promise: open tickets past their week (Query), each read and recorded as
        # breached with its event (a transaction of Puts).
        "breach_support_promises": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem")),
        ),
        # A school's count of filed requests read, then one transaction per event (marker, counters).
        "count_statistics": (
            Access("table", "main", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
        ),
        "staff_mfa_gate": (
            Access("user_pool", "users", ("cognito-idp:AdminGetUser",)),
        ),
        # The appointments' reminders (issue 9): the due bookings, each marked in a transaction with its event.
        "remind_appointments": (
            Access("table", "main", ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem")),
        ),
    },
)


def stream_arn_for(table: Table) -> str:
    """The stream ARN a handler is bound to. Infra and the local launcher set the real one in the
    environment; without it (e.g. while packaging) a name-derived ARN keeps the table visible."""
    return os.environ.get(table.env_stream_arn) or (
        f"arn:aws:dynamodb:{current_region()}:000000000000:table/{physical_name(table.logical)}/stream/latest"
    )


def table_name_from_stream_arn(arn: str) -> str:
    return arn.split(":table/", 1)[1].split("/", 1)[0]
