"""Types of the outbox events about requests. Each is written in the same transaction as the
change it announces; the relay (workers/outbox.py) sends it to the queue of its consumer. Events
without a consumer yet are kept for the later issues (instruction queues, notifications)."""

SUBMITTED = "request.submitted"  # the receipt is generated
VALIDATION_ASKED = "request.validation_asked"  # an existing candidate account is asked to validate
VALIDATION_REMINDER = "request.validation_reminder"  # day 5 of 7
EXPIRED = "request.expired"  # not validated in 7 days: back to the school
VALIDATED_BY_CANDIDATE = "request.validated_by_candidate"
READY_FOR_INSTRUCTION = "request.ready_for_instruction"  # documents accepted: "En cours d'instruction"
TAKEN_BACK = "request.taken_back"  # the school takes it back to correct it
TRANSFERRED = "request.transferred"  # another school took it over
APPROVED = "request.approved"  # the agent validated it (a registration: its NEPH)
COMPLEMENT_REQUESTED = "request.complement_requested"  # the agent asks for documents
REJECTED = "request.rejected"
# Exams (issue 7): a result recorded against the NEPH of a registration; the CEPC after a
# favourable practical (payload: neph, category, valid_until, production_request_id).
EXAM_RESULT_RECORDED = "request.exam_result_recorded"
CEPC_ISSUED = "request.cepc_issued"
# The licence's way to the candidate (production requests): payload status (a RequestStatus value),
# at, and what the status needs: tracking_number (shipped), collect_by (at the post office),
# resend_until (returned).
LICENCE_MOVED = "request.licence_moved"
DESTRUCTION_WARNING = "request.destruction_warning"  # returned, destroyed soon (payload destroy_on)
# The filer asked for a returned licence to be sent again (payload reference, requested_at): the
# printer's cue; its next "expedie" moves the licence back to "Titre expédié".
LICENCE_RESEND_REQUESTED = "request.licence_resend_requested"
# An agent asked for the whole request as one PDF (issue 20; payload request_id, dossier_id): the
# attestations worker makes it (the document family is not in the API's package).
DOSSIER_REQUESTED = "request.dossier_requested"
# An agent opened the ePhoto photo or signature of a request whose images were never fetched
# (issue 20; payload request_id): the attestations worker, which has the document checker, fetches
# both from the ePhoto operator with the request's code, checks and keeps them (services/ephoto.py).
EPHOTO_REQUESTED = "request.ephoto_requested"
# A message on the request's thread (issue 20; payload request_id, message_id, side, author_account_id):
# the notifications worker emails the others of the thread.
MESSAGE_POSTED = "request.message_posted"

EMAILED = (VALIDATION_ASKED, VALIDATION_REMINDER, EXPIRED, TRANSFERRED)

# Every status change (statistics, issue 9): one per transition, written by the repository's
# change_items. Payload: request_id, procedure, departement (may be null), school_id (null when
# filed by a candidate alone), from (null on creation), to, at, submitted_at.
STATUS_CHANGED = "request.status_changed"

# A draft deleted by its filer (the request item removed in the same transaction; payload request_id,
# by): the draft-deletions worker deletes what remains of it (its other items, its files). The relay
# sends the same cue for a draft DynamoDB's TTL purged (payload expired: true).
DRAFT_DELETED = "request.draft_deleted"
