"""AWS calls made by each operation of the app, counted under moto (in-process).

Every boto3/botocore client created in this process gets a handler on botocore's `before-call`
event, which fires once per API operation (retries are not counted again). Counting is switched
on only around each operation, so provisioning and the benchmark's own reads (stream records,
queue messages) are excluded. While counting, the keys of the DynamoDB items each call writes
(and a put's size) are recorded too (`writes`), and at the end every item of the main table is
listed with its size (`table_items`): issue 19's capacity model reads both.

Run alone: `.venv/bin/python bench/aws_calls.py [--json OUT]`. bench/run.py runs it in a
subprocess, because it sets the environment, patches botocore and imports the app."""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
REGION = "eu-west-3"
WEB_ORIGIN = "http://127.0.0.1:8001"

# The instruction queues: the DDT of each of the 101 départements and the CERT (checked when measured).
AUTHORITIES = 102
# The fewest AWS calls each operation can make, and which ones. More is reported as over target.
MINIMUM_CALLS: dict[str, tuple[str, ...]] = {
    "GET /health": (),
    "POST /demo/messages": ("dynamodb.TransactWriteItems",),
    "GET /demo/messages/{message_id}": ("dynamodb.GetItem",),
    "GET /openapi.json": (),
    "relay_outbox (1 outbox INSERT)": ("sqs.SendMessage",),
    "process_demo_messages (1 message)": ("dynamodb.GetItem", "dynamodb.PutItem"),
    "staff_mfa_gate (candidate's token)": (),
    "staff_mfa_gate (agent's token)": ("cognito-identity-provider.AdminGetUser",),
    # Accounts. Sign-up: the proof of work marked used, the agrément and the email checked (clear
    # refusals before any user is created), the Cognito user and its group, one transaction.
    "POST /accounts/schools": ("dynamodb.PutItem", "dynamodb.GetItem", "dynamodb.GetItem",
                               "cognito-identity-provider.AdminCreateUser",
                               "cognito-identity-provider.AdminAddUserToGroup", "dynamodb.TransactWriteItems"),
    # Activation signs a candidate, a school or a mediator in (issue 17: the password is typed
    # once): the sign-in the person no longer makes themselves.
    "POST /accounts/activation": ("dynamodb.GetItem", "dynamodb.GetItem",
                                  "cognito-identity-provider.AdminSetUserPassword", "dynamodb.TransactWriteItems",
                                  "cognito-identity-provider.InitiateAuth"),
    "POST /sessions": ("cognito-identity-provider.InitiateAuth",),
    # Token check: the authorizer verifies against the cached JWKS (no call); the route reads the
    # caller's profile once (disabled, removed and signed-out accounts are refused at once).
    "jwt_authorizer (JWKS cached)": (),
    "GET /me": ("dynamodb.GetItem",),
    # Requests (every signed-in route reads the caller's profile first): one write per change,
    # one query per listing page.
    # Creating a request also reads the school once, to copy its name on the request (lists,
    # emails and receipts then need no read of their own).
    "POST /requests": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    "PUT /requests/{request_id}/steps/{step}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    "GET /requests (one page)": ("dynamodb.GetItem", "dynamodb.Query"),
    # Submission: caller, Idempotency-Key, request, its documents; one transaction for the status,
    # the history, the events, the key, the ePhoto code and the documents read.
    "POST /requests/{request_id}/submission (paper mandate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Without mandate, for a candidate with no account: the email looked up, the Cognito user and
    # its group; the account itself is in the same transaction.
    "POST /requests/{request_id}/submission (new candidate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem",
        "cognito-identity-provider.AdminCreateUser", "cognito-identity-provider.AdminAddUserToGroup",
        "dynamodb.TransactWriteItems"),
    "POST /requests/{request_id}/validation": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Instruction. The relay sends a request ready for instruction to its authority's queue.
    "relay_outbox (ready for instruction)": ("sqs.SendMessage",),
    # A claim: the caller; the returns queue (empty here), then the queue (the lease); the request;
    # the claim record; the read recorded; what the agent sees: documents, ePhoto code's owner,
    # an existing NEPH for this identity, the history.
    "POST /staff/claims": ("dynamodb.GetItem", "sqs.ReceiveMessage", "sqs.ReceiveMessage", "dynamodb.GetItem",
                           "dynamodb.PutItem", "dynamodb.PutItem", "dynamodb.Query", "dynamodb.GetItem",
                           "dynamodb.GetItem", "dynamodb.Query"),
    # A decision (a registration validated, a new NEPH): the caller, the request, the claim; the
    # pre-checks read again as of now (documents, the person's NEPH, the ePhoto code's owner: a
    # validation must name each one "À vérifier", issue 20, and a NEPH given meanwhile is seen);
    # the person's NEPH read; the month's holes looked up (a Query, usually empty) and, with none, the
    # next order taken by an atomic increment (never refused, whoever decides at the same time);
    # ONE transaction (no statistics counter in it since issue 19: the worker counts the committed
    # event, so the call count is unchanged and two decisions never conflict); ONE queue delete.
    "POST /staff/requests/{request_id}/decision (validate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem",
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.UpdateItem",
        "dynamodb.TransactWriteItems", "sqs.DeleteMessage"),
    # The attestation: the request, an attestation already made (its signature is reused), the
    # public key (once per container: the kid), the signature, the exam results of the verso (a
    # validation's event delivered again after results must not print them away), the PDF, its record.
    "make_attestations (1 validation)": ("dynamodb.GetItem", "dynamodb.GetItem", "kms.GetPublicKey", "kms.Sign",
                                         "dynamodb.Query", "s3.PutObject", "dynamodb.PutItem"),
    # Exams: the caller, the NEPH's registrations, each registration, its results; ONE transaction
    # (for a favourable practical it also holds the CEPC, the production request and its document).
    "POST /staff/exams/results (favourable practical)": (
        "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Public tracking: the proof of work marked used, then ONE read of the request (a projection of
    # its status: nothing personal is read).
    "POST /suivi": ("dynamodb.PutItem", "dynamodb.GetItem"),
    # Verification with the public key cached in the container: no call.
    "POST /verification (key cached)": (),
    # A partner's signed event, its key cached in the container: the licence read, then ONE
    # transaction (the request, its history row, LICENCE_MOVED, the event id on condition it is new).
    "POST /partenaires/evenements (key cached)": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # A notification (the validation above, no alert subscriber): the request, the candidate's and the
    # filer's profiles, the subscriptions; per recipient its sent marker read, the email, the marker put.
    "notification (validation: candidate and school)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
        "dynamodb.GetItem", "ses.SendEmail", "dynamodb.PutItem", "dynamodb.GetItem", "ses.SendEmail",
        "dynamodb.PutItem"),
    # Support desk: the caller, the school (its département and name), ONE transaction (the ticket
    # and its event); anonymous: the proof of work marked used, ONE transaction. Listings: one
    # query; the answer: the caller, the ticket, ONE transaction; the promise's job: one query,
    # then per ticket past its week a read and ONE transaction.
    "POST /support/tickets": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "POST /support/contact": ("dynamodb.PutItem", "dynamodb.TransactWriteItems"),
    "GET /support/tickets": ("dynamodb.GetItem", "dynamodb.Query"),
    "GET /support/tickets/{ticket_id}": ("dynamodb.GetItem", "dynamodb.GetItem"),
    "GET /staff/support": ("dynamodb.GetItem", "dynamodb.Query"),
    "GET /staff/support/{ticket_id}": ("dynamodb.GetItem", "dynamodb.GetItem"),
    "POST /staff/support/{ticket_id}/answer": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "breach_support_promises (1 ticket past its week)": ("dynamodb.Query", "dynamodb.GetItem",
                                                         "dynamodb.TransactWriteItems"),
    # A mediator's letters to post: the caller, then ONE query of their letters.
    "GET /mediation/letters": ("dynamodb.GetItem", "dynamodb.Query"),
    # Appointments (issue 9). Every route reads the caller's profile first. A school's routes read
    # its school and its agrément (the département of the prefecture that gave it).
    "POST /staff/appointments/slots": ("dynamodb.GetItem", "dynamodb.PutItem"),
    "GET /staff/appointments/slots": ("dynamodb.GetItem", "dynamodb.Query"),
    "DELETE /staff/appointments/slots/{slot_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.DeleteItem"),
    "GET /appointments/slots": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    # The request and the slot read, then ONE transaction (place counted on condition, booking, the
    # request's current appointment, the confirmation's event).
    "POST /appointments/bookings": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                    "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "GET /appointments/bookings (one booking)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem"),
    # The booking and its slot (the event carries the place), then ONE transaction.
    "DELETE /appointments/bookings/{booking_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                                   "dynamodb.TransactWriteItems"),
    # The day's slots, each slot's bookings, each booking's request.
    "GET /staff/appointments (one slot, one booking)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query",
                                                        "dynamodb.GetItem"),
    # The due bookings (sparse index), the booking and its slot, ONE transaction (mark and event).
    "remind_appointments (1 due)": ("dynamodb.Query", "dynamodb.GetItem", "dynamodb.GetItem",
                                    "dynamodb.TransactWriteItems"),
    # Statistics (issue 9): a school's submission counted: the school's count read, then ONE
    # transaction (the event's marker, the filing's, the school's count, the day's and month's counters).
    "count_statistics (1 school submission)": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # A full batch (what the peak brings: the consumer waits up to 5 s to fill one) of one school's
    # submissions: its count read once, every event's counters in one transaction.
    "count_statistics (a batch of 10 submissions)": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # The figures of a département: the caller; its months and days, the national months and month
    # to date (the national opening rate), the registry's loads: five Queries, never a scan.
    "GET /statistics (département)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query", "dynamodb.Query",
                                      "dynamodb.Query", "dynamodb.Query"),
    "GET /statistics/export (département)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query",
                                             "dynamodb.Query", "dynamodb.Query", "dynamodb.Query"),
    # --- Issue 19: every other route and handler. Signed-in routes read the caller's profile first;
    # a request's routes then read the request (who may see it: its school, its candidate...).
    # Filing. The autosave's write is on condition the request is still a draft: a ConditionCheck on
    # the request beside the autosave's Put, ONE transaction.
    "PUT /requests/{request_id}/steps/{step}/draft": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                      "dynamodb.TransactWriteItems"),
    "GET /requests/{request_id}/drafts": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "GET /requests/{request_id}": ("dynamodb.GetItem", "dynamodb.GetItem"),
    # The form is presigned locally (no call); the upload awaited is recorded for the checker.
    "POST /requests/{request_id}/documents/{document}/upload": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                                "dynamodb.PutItem"),
    # The code's owner looked up (a used code is refused before submission claims it), then put.
    "PUT /requests/{request_id}/ephoto": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                          "dynamodb.PutItem"),
    "GET /requests/{request_id}/summary": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "GET /requests/{request_id}/documents": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    # ONE transaction: the request deleted on condition of the version read, no appointment to come
    # (a ConditionCheck), the event whose worker deletes the rest.
    "DELETE /requests/{request_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # The number not in use again; what is left in the request's partition and its alerts' (two
    # partitions); its ePhoto claim released; the items deleted in ONE batch; the files' versions
    # listed under each of the three prefixes a request's files have (none to delete here).
    "purge_deleted_drafts (1 draft: autosave, 2 documents)": (
        "dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query", "dynamodb.DeleteItem", "dynamodb.BatchWriteItem",
        "s3.ListObjectVersions", "s3.ListObjectVersions", "s3.ListObjectVersions"),
    # The document's record, the file read, its checked copy written, the result recorded, the
    # upload as sent deleted; the request read (instruction begins when the last one is accepted).
    "check_documents (1 upload, not the last)": ("dynamodb.GetItem", "s3.GetObject", "s3.PutObject",
                                                 "dynamodb.UpdateItem", "s3.DeleteObject", "dynamodb.GetItem"),
    # The sent marker, the profile, the school (its name in the email), the email, the marker.
    "send_emails (1 activation link, a school's candidate)": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                              "dynamodb.GetItem", "ses.SendEmail", "dynamodb.PutItem"),
    # The request, its documents (listed on the receipt), the receipt already made (its signature is
    # reused), the public key (once per container: the kid), the QR code's signature, the PDF, its record.
    "make_receipts (1 submission)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "kms.GetPublicKey",
                                     "kms.Sign", "s3.PutObject", "dynamodb.PutItem"),
    # The receipt's record (its S3 key); the link is presigned locally.
    "GET /requests/{request_id}/receipt": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem"),
    "GET /requests/{request_id}/history": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    # The due requests (sparse index), each one read, ONE transaction (the change and its events).
    "remind_and_expire_validations (1 reminder)": ("dynamodb.Query", "dynamodb.GetItem",
                                                   "dynamodb.TransactWriteItems"),
    "remind_and_expire_validations (1 expiry)": ("dynamodb.Query", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # A status change: ONE transaction (the request on condition of its version, history, events).
    "POST /requests/{request_id}/resend-validation": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                      "dynamodb.TransactWriteItems"),
    "POST /requests/{request_id}/back-to-draft": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                  "dynamodb.TransactWriteItems"),
    # The complement: the documents read (each replaced one checked since the agent asked, and
    # condition-checked in the same transaction).
    "POST /requests/{request_id}/complement": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
                                               "dynamodb.TransactWriteItems"),
    # The old school (its agrément proves the right to take it over), the new one (its name on the request).
    "POST /requests/transfer": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                "dynamodb.TransactWriteItems"),
    # The filer's downloads: the issued document's record (its key), the link presigned locally.
    "GET /requests/{request_id}/attestations/{document}": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                           "dynamodb.GetItem"),
    "GET /requests/{request_id}/cepc/{category}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
                                                   "dynamodb.GetItem"),
    "GET /requests/{request_id}/exams": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query"),
    "GET /requests/{request_id}/documents/{document}/file": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                             "dynamodb.GetItem"),
    # The examiner: the NEPH's registrations, then per registration the request, its results, its CEPCs.
    # The examiner's day sheet of a centre (issue 20): the caller, then one Query of the centre's day
    # in its own sparse gsi3 partition (EXAMDAY#<day>#<centre>).
    "GET /staff/exams/day": ("dynamodb.GetItem", "dynamodb.Query"),
    # Convocations (issue 20): the caller, the registration (its school, its status, its NEPH), then
    # ONE conditional Put (one item per test, category and day: also a row of the centre's day,
    # read by the same Query as its results), one Query of the registration's, one conditional Delete.
    "POST /requests/{request_id}/convocations": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    "GET /requests/{request_id}/convocations": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "DELETE /requests/{request_id}/convocations/{convocation_id}": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                                     "dynamodb.DeleteItem"),
    "GET /staff/exams/{neph}": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "dynamodb.Query",
                                "dynamodb.Query"),
    # Licence: the due licences (sparse index), each read, ONE transaction; the resend is a status change.
    "advance_licences (1 returned)": ("dynamodb.Query", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "POST /requests/{request_id}/licence/resend": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                   "dynamodb.TransactWriteItems"),
    # Alerts: the proof of work marked used, the request's status (a projection), the address's
    # current subscription (a code a minute ago is not sent again), ONE transaction (it and its event).
    "POST /alerts/subscriptions": ("dynamodb.PutItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                   "dynamodb.TransactWriteItems"),
    "POST /alerts/confirmation": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # The link's pointer, then ONE conditional write (subscription id and status in its condition:
    # the subscription need not be read first).
    "POST /alerts/unsubscribe": ("dynamodb.GetItem", "dynamodb.UpdateItem"),
    # Instruction. Examining: as in a claim, without the queue (the request, its claim, the read
    # recorded, documents, ePhoto code's owner, an existing NEPH, the history).
    "GET /staff/requests/{request_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                         "dynamodb.PutItem", "dynamodb.Query", "dynamodb.GetItem",
                                         "dynamodb.GetItem", "dynamodb.Query"),
    "GET /staff/requests/{request_id}/documents/{document}": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                              "dynamodb.GetItem", "dynamodb.PutItem"),
    # The ePhoto photo and signature (issue 20): the first view asks for them (the caller, the
    # request, DOC#ephoto, ONE transaction: DOC#ephoto marked pending and the event; 409); the
    # attestations worker reads DOC#ephoto, keeps both checked images (the operator's two HTTP calls
    # are not AWS calls) and records their keys; every later view is a piece's (no operator call).
    "GET /staff/requests/{request_id}/documents/ephoto-photo (first view: asked)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "make_attestations (1 ePhoto fetch)": ("dynamodb.GetItem", "s3.PutObject", "s3.PutObject",
                                           "dynamodb.UpdateItem"),
    "GET /staff/requests/{request_id}/documents/ephoto-photo (kept)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    # The claim carries its authority: holding it is the agent's right to the request (no read of
    # the request); the message's visibility and the claim changed.
    "POST /staff/requests/{request_id}/extend": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                 "sqs.ChangeMessageVisibility", "dynamodb.UpdateItem"),
    "POST /staff/requests/{request_id}/release": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.DeleteItem",
                                                  "sqs.ChangeMessageVisibility"),
    "GET /staff/reasons": ("dynamodb.GetItem",),
    # A complement asked: as a validation without the NEPH (ONE transaction, ONE queue delete).
    "POST /staff/requests/{request_id}/decision (complement)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems",
        "sqs.DeleteMessage"),
    # The index of waiting requests is partitioned by authority (the queue health reads one's
    # oldest): one Query per authority, then per request waiting too long ONE transaction.
    "requeue_long_waiting (1 request waiting 11 days)": ("dynamodb.Query",) * AUTHORITIES
                                                         + ("dynamodb.TransactWriteItems",),
    # A queue's state: its two queues' depths (new and returning), the days of decisions, the oldest.
    "GET /staff/queue": ("dynamodb.GetItem", "sqs.GetQueueAttributes", "sqs.GetQueueAttributes", "dynamodb.Query",
                         "dynamodb.Query"),
    "GET /staff/queues/{authority}": ("dynamodb.GetItem", "sqs.GetQueueAttributes", "sqs.GetQueueAttributes",
                                      "dynamodb.Query", "dynamodb.Query"),
    "GET /staff/requests/{request_id}/reads": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    # Private notes (issue 20): the caller, the request (its authority), then one Query of the notes or
    # one conditional Put of the new note (an item of its own: no item grows with the notes).
    "GET /staff/requests/{request_id}/notes": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "POST /staff/requests/{request_id}/notes": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    # Messages (issue 20): the caller, the request, then one Query of the thread or ONE transaction
    # (the message, its event, the request's status checked); the same on the filer's side.
    "GET /staff/requests/{request_id}/messages": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "POST /staff/requests/{request_id}/messages": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                   "dynamodb.TransactWriteItems"),
    "GET /requests/{request_id}/messages": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    "POST /requests/{request_id}/messages": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # With a file: each named attachment read once (its author, its state), then the same ONE
    # transaction, which marks it sent. Its upload form: the caller, the request, the record put
    # (the presigned POST is signed locally); its link: the record read (an agent's opening audited).
    "POST /requests/{request_id}/messages (1 attachment)": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                            "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "POST /requests/{request_id}/messages/pieces-jointes": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                            "dynamodb.PutItem"),
    "POST /staff/requests/{request_id}/messages/pieces-jointes": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                                  "dynamodb.PutItem"),
    "GET /requests/{request_id}/messages/pieces-jointes/{attachment_id}": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                                           "dynamodb.GetItem"),
    "GET /staff/requests/{request_id}/messages/pieces-jointes/{attachment_id}": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    # The attachment's record, the file read, its checked copy written, the verdict recorded, the
    # upload as sent deleted (no request read: a message's file starts nothing).
    "check_documents (1 message attachment)": ("dynamodb.GetItem", "s3.GetObject", "s3.PutObject",
                                               "dynamodb.UpdateItem", "s3.DeleteObject"),
    # Its emails: the request, the thread, its author; from the school, the claim, the history (who
    # decided last) and the agent who holds it; the candidate's and the school filer's accounts; per recipient who can read the
    # thread its sent marker, the email, the marker written (the author gets none; here the
    # candidate has no account: their school speaks for them).
    "notification (message from the agent: the school)": (
        "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
        "ses.SendEmail", "dynamodb.PutItem"),
    "notification (message from the school: the agent)": (
        "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "ses.SendEmail", "dynamodb.PutItem"),
    # The whole request as one PDF (issue 20): asked (the caller, the request, ONE transaction: its
    # record and the event), made by the attestations worker (the request, its documents and history,
    # the PDF, its record marked made), fetched (the caller, the request, the record, the read).
    "POST /staff/requests/{request_id}/dossier": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                  "dynamodb.TransactWriteItems"),
    "make_attestations (1 dossier)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query", "s3.PutObject",
                                      "dynamodb.UpdateItem"),
    "GET /staff/requests/{request_id}/dossier/{dossier_id}": ("dynamodb.GetItem", "dynamodb.GetItem",
                                                              "dynamodb.GetItem", "dynamodb.PutItem"),
    # The worklist (issue 20): the caller, then one Query of the tab's index (gsi3); à traiter adds
    # who holds each row of the page and whose filer waits for an answer on its thread (the CLAIM and
    # THREAD items, complément too), en cours the requests of the running claims: one BatchGetItem.
    "GET /staff/worklist (à traiter)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem"),
    "GET /staff/worklist (en cours)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem"),
    "GET /staff/worklist (complément)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem"),
    "GET /staff/worklist (traités)": ("dynamodb.GetItem", "dynamodb.Query"),
    # A number or a NEPH: the caller, the NEPH's registrations, the requests named, who holds them.
    "GET /staff/search/{number}": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem",
                                   "dynamodb.BatchGetItem"),
    # Taken from the list: the caller, the request, the claim (conditional Put), then what the agent
    # sees, as with "next": the read recorded, documents, the person's NEPH, the ePhoto code's owner,
    # the history. No queue call: the message stays, its next receiver finds it held or decided.
    "POST /staff/requests/{request_id}/claim": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem",
                                                "dynamodb.PutItem", "dynamodb.Query", "dynamodb.GetItem",
                                                "dynamodb.GetItem", "dynamodb.Query"),
    "GET /staff/queues/{authority}/dead-letters (none)": ("dynamodb.GetItem", "sqs.ReceiveMessage"),
    "POST /staff/queues/{authority}/dead-letters/redrive (none)": ("dynamodb.GetItem", "sqs.ReceiveMessage"),
    # School members: the invitation as a sign-up (email free, Cognito user and group, ONE
    # transaction, the school's being open condition-checked in it); the removal reads the member's
    # profile and link, the school (its name in the email), ONE transaction, the Cognito user deleted.
    "POST /school/members": ("dynamodb.GetItem", "dynamodb.GetItem", "cognito-identity-provider.AdminCreateUser",
                             "cognito-identity-provider.AdminAddUserToGroup", "dynamodb.TransactWriteItems"),
    "GET /school/members": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem"),
    "DELETE /school/members/{account_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                            "dynamodb.TransactWriteItems",
                                            "cognito-identity-provider.AdminDeleteUser"),
    # The due accounts (sparse index), each profile and link, ONE transaction, the Cognito user.
    "purge_unactivated_accounts (1 invited colleague)": ("dynamodb.Query", "dynamodb.GetItem",
                                                         "dynamodb.TransactWriteItems",
                                                         "cognito-identity-provider.AdminDeleteUser"),
    # Accounts and sessions: as the school's sign-up, without the agrément.
    "POST /accounts/candidates": ("dynamodb.PutItem", "dynamodb.GetItem", "cognito-identity-provider.AdminCreateUser",
                                  "cognito-identity-provider.AdminAddUserToGroup", "dynamodb.TransactWriteItems"),
    "POST /accounts/activation/preview": ("dynamodb.GetItem", "dynamodb.GetItem"),
    # The request only becomes an event (the same answer whether the address exists or not).
    "POST /accounts/activation/resend": ("dynamodb.TransactWriteItems",),
    "POST /sessions/refresh": ("cognito-identity-provider.InitiateAuth",),
    "POST /sessions/mfa": ("cognito-identity-provider.RespondToAuthChallenge",),
    # The Cognito sign-out everywhere, then the revocation second on the profile (its tokens refused).
    "DELETE /sessions": ("dynamodb.GetItem", "cognito-identity-provider.AdminUserGlobalSignOut",
                         "dynamodb.UpdateItem"),
    "POST /passwords/forgotten": ("dynamodb.TransactWriteItems",),
    # The link, the new password; ONE transaction (the link deleted and the sessions' revocation
    # second); the profile's email (Cognito signs out by it), the sign-out everywhere.
    "POST /passwords/reset": ("dynamodb.GetItem", "cognito-identity-provider.AdminSetUserPassword",
                              "dynamodb.TransactWriteItems", "dynamodb.GetItem",
                              "cognito-identity-provider.AdminUserGlobalSignOut"),
    "PATCH /me": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # A candidate's export: their requests (one Query; a school member's would also read the school).
    "GET /me/export": ("dynamodb.GetItem", "dynamodb.Query"),
    "PUT /me/password": ("dynamodb.GetItem", "cognito-identity-provider.ChangePassword"),
    # The password checked again (a sign-in), the new address free, ONE transaction (link and event).
    "POST /me/email": ("dynamodb.GetItem", "cognito-identity-provider.InitiateAuth", "dynamodb.GetItem",
                       "dynamodb.TransactWriteItems"),
    # The link, the profile, ONE transaction (both email locks, profile, link, event), Cognito's email.
    "POST /me/email/confirm": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems",
                               "cognito-identity-provider.AdminUpdateUserAttributes"),
    # Closing: requests in progress counted (one Query), ONE transaction, the Cognito user deleted.
    "DELETE /me": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems",
                   "cognito-identity-provider.AdminDeleteUser"),
    # TOTP: Cognito's two steps and the preference, then the profile marked (the staff MFA gate).
    "POST /me/mfa/setup": ("dynamodb.GetItem", "cognito-identity-provider.AssociateSoftwareToken"),
    "POST /me/mfa/verify": ("dynamodb.GetItem", "cognito-identity-provider.VerifySoftwareToken",
                            "cognito-identity-provider.SetUserMFAPreference", "dynamodb.UpdateItem"),
    # Public reads with the container's caches warm (the HMAC secret, the signing key): no call;
    # the communes are in the package.
    "GET /antirobot/challenge": (),
    "GET /communes/{postal_code}": (),
    "GET /verification/public-key": (),
}
# What this benchmark drives, to list anything the app has that it does not measure.
MEASURED_ROUTES = {("/health", "GET"), ("/demo/messages", "POST"), ("/demo/messages/{message_id}", "GET"),
                   ("/accounts/schools", "POST"), ("/accounts/activation", "POST"), ("/sessions", "POST"),
                   ("/me", "GET"), ("/requests", "POST"), ("/requests/{request_id}/steps/{step}", "PUT"),
                   ("/requests", "GET"), ("/requests/{request_id}/submission", "POST"),
                   ("/requests/{request_id}/validation", "POST"), ("/staff/claims", "POST"),
                   ("/staff/requests/{request_id}/decision", "POST"), ("/verification", "POST"),
                   ("/staff/exams/results", "POST"), ("/suivi", "POST"),
                   ("/openapi.json", "GET"), ("/partenaires/evenements", "POST"),
                   ("/support/tickets", "POST"), ("/support/contact", "POST"), ("/support/tickets", "GET"),
                   ("/support/tickets/{ticket_id}", "GET"), ("/staff/support", "GET"),
                   ("/staff/support/{ticket_id}", "GET"), ("/staff/support/{ticket_id}/answer", "POST"),
                   ("/mediation/letters", "GET")}
MEASURED_ROUTES |= {("/staff/appointments/slots", "POST"), ("/staff/appointments/slots", "GET"),
                    ("/staff/appointments/slots/{slot_id}", "DELETE"), ("/appointments/slots", "GET"),
                    ("/appointments/bookings", "POST"), ("/appointments/bookings", "GET"),
                    ("/appointments/bookings/{booking_id}", "DELETE"), ("/staff/appointments", "GET")}
MEASURED_HANDLERS = {"relay_outbox", "process_demo_messages", "staff_mfa_gate", "jwt_authorizer",
                     "make_attestations", "send_notifications", "breach_support_promises"}
MEASURED_HANDLERS |= {"remind_appointments"}
MEASURED_ROUTES |= {("/statistics", "GET"), ("/statistics/export", "GET")}
MEASURED_HANDLERS |= {"count_statistics"}
# Every other route and handler (issue 19's capacity model needs them all).
MEASURED_ROUTES |= {
    ("/requests/{request_id}", "GET"), ("/requests/{request_id}", "DELETE"),
    ("/requests/{request_id}/steps/{step}/draft", "PUT"), ("/requests/{request_id}/drafts", "GET"),
    ("/requests/{request_id}/documents/{document}/upload", "POST"), ("/requests/{request_id}/ephoto", "PUT"),
    ("/requests/{request_id}/summary", "GET"), ("/requests/{request_id}/documents", "GET"),
    ("/requests/{request_id}/receipt", "GET"), ("/requests/{request_id}/history", "GET"),
    ("/requests/{request_id}/attestations/{document}", "GET"), ("/requests/{request_id}/cepc/{category}", "GET"),
    ("/requests/{request_id}/exams", "GET"), ("/requests/{request_id}/documents/{document}/file", "GET"),
    ("/requests/{request_id}/resend-validation", "POST"), ("/requests/{request_id}/back-to-draft", "POST"),
    ("/requests/{request_id}/complement", "POST"), ("/requests/{request_id}/licence/resend", "POST"),
    ("/requests/transfer", "POST"),
    ("/staff/requests/{request_id}", "GET"), ("/staff/requests/{request_id}/documents/{document}", "GET"),
    ("/staff/requests/{request_id}/extend", "POST"), ("/staff/requests/{request_id}/release", "POST"),
    ("/staff/reasons", "GET"), ("/staff/queue", "GET"), ("/staff/queues/{authority}", "GET"),
    ("/staff/requests/{request_id}/reads", "GET"), ("/staff/queues/{authority}/dead-letters", "GET"),
    ("/staff/requests/{request_id}/notes", "GET"), ("/staff/requests/{request_id}/notes", "POST"),
    ("/staff/requests/{request_id}/messages", "GET"), ("/staff/requests/{request_id}/messages", "POST"),
    ("/requests/{request_id}/messages", "GET"), ("/requests/{request_id}/messages", "POST"),
    ("/requests/{request_id}/messages/pieces-jointes", "POST"),
    ("/staff/requests/{request_id}/messages/pieces-jointes", "POST"),
    ("/requests/{request_id}/messages/pieces-jointes/{attachment_id}", "GET"),
    ("/staff/requests/{request_id}/messages/pieces-jointes/{attachment_id}", "GET"),
    ("/staff/worklist", "GET"), ("/staff/search/{number}", "GET"), ("/staff/requests/{request_id}/claim", "POST"),
    ("/staff/requests/{request_id}/dossier", "POST"), ("/staff/requests/{request_id}/dossier/{dossier_id}", "GET"),
    ("/staff/queues/{authority}/dead-letters/redrive", "POST"), ("/staff/exams/{neph}", "GET"),
    ("/staff/exams/day", "GET"), ("/requests/{request_id}/convocations", "POST"),
    ("/requests/{request_id}/convocations", "GET"), ("/requests/{request_id}/convocations/{convocation_id}", "DELETE"),
    ("/accounts/candidates", "POST"), ("/accounts/activation/preview", "POST"),
    ("/accounts/activation/resend", "POST"), ("/sessions/refresh", "POST"), ("/sessions/mfa", "POST"),
    ("/sessions", "DELETE"), ("/passwords/forgotten", "POST"), ("/passwords/reset", "POST"),
    ("/me", "PATCH"), ("/me", "DELETE"), ("/me/export", "GET"), ("/me/password", "PUT"), ("/me/email", "POST"),
    ("/me/email/confirm", "POST"), ("/me/mfa/setup", "POST"), ("/me/mfa/verify", "POST"),
    ("/school/members", "GET"), ("/school/members", "POST"), ("/school/members/{account_id}", "DELETE"),
    ("/alerts/subscriptions", "POST"), ("/alerts/confirmation", "POST"), ("/alerts/unsubscribe", "POST"),
    ("/antirobot/challenge", "GET"), ("/communes/{postal_code}", "GET"), ("/verification/public-key", "GET")}
MEASURED_HANDLERS |= {"check_documents", "make_receipts", "send_emails", "purge_deleted_drafts",
                      "remind_and_expire_validations", "requeue_long_waiting", "advance_licences",
                      "purge_unactivated_accounts"}


def _set_environment() -> None:
    """Dummy credentials and the local stage, before boto3 or the app are imported."""
    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        del os.environ[variable]  # no real profile, endpoint or credentials may leak in
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "PERMIS_STAGE": "local", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # keep the report readable; logging calls still run
    })


class CallCounter:
    """Records `service.Operation` for every API call made while `recording` is set, and the keys
    (and put items' sizes) of the DynamoDB items those calls write."""

    def __init__(self) -> None:
        self.calls: list[str] | None = None
        self.writes: list[dict[str, Any]] = []  # the last recording's, read by `record` after it

    def on_before_call(self, event_name: str, model: Any = None, **_: Any) -> None:
        # event_name is "before-call.<service id>.<operation>", e.g. before-call.dynamodb.GetItem
        if self.calls is not None:
            self.calls.append(f"{event_name.split('.')[1]}.{model.name if model else event_name.split('.')[-1]}")

    def on_dynamodb_parameters(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        # "before-parameter-build.dynamodb.<operation>": the API-level parameters, once per call
        if self.calls is not None:
            self.writes += written_items(event_name.split(".")[-1], params)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.calls, self.writes = [], []
        try:
            yield self.calls
        finally:
            self.calls = None

    def install(self) -> None:
        """Hook every client botocore creates from now on: boto3.client(), Session().client() and
        chalicelib.adapters.aws.client() all end in botocore.session.Session.create_client."""
        import botocore.session

        original = botocore.session.Session.create_client
        counter = self

        def create_client(session, *args, **kwargs):
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-call", counter.on_before_call)
            client.meta.events.register("before-parameter-build.dynamodb", counter.on_dynamodb_parameters)
            return client

        botocore.session.Session.create_client = create_client


def written_items(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The items a DynamoDB call writes (or checks, in a transaction): op, pk, sk, and a put's size."""
    if operation == "PutItem":
        return [_written("PutItem", params["Item"], params["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [_written(operation, params["Key"])]
    if operation == "TransactWriteItems":
        return [_written(f"Transact{kind}", body.get("Item") or body["Key"], body.get("Item"))
                for entry in params["TransactItems"] for kind, body in entry.items()]
    if operation == "BatchWriteItem":
        return [_written("BatchPut", request["PutRequest"]["Item"], request["PutRequest"]["Item"])
                if "PutRequest" in request else _written("BatchDelete", request["DeleteRequest"]["Key"])
                for requests in params["RequestItems"].values() for request in requests]
    return []


def _written(op: str, key: dict[str, Any], item: dict[str, Any] | None = None) -> dict[str, Any]:
    from dynamo_size import item_bytes

    return {"op": op, "pk": _key_string(key.get("pk")), "sk": _key_string(key.get("sk")),
            "bytes": item_bytes(item) if item is not None else None}


def _key_string(value: Any) -> str | None:
    """A key attribute's value as a string, from DynamoDB's JSON shape ({"S": ...}, {"N": ...})."""
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value.values())))
    return None if value is None else str(value)


def table_items(client: Any, table: str) -> list[list[Any]]:
    """[pk, sk, bytes] of every item of `table` (the benchmark's read of moto, never counted)."""
    from dynamo_size import item_bytes

    items = [item for page in client.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
    rows = [[_key_string(i.get("pk")), _key_string(i.get("sk")), item_bytes(i)] for i in items]
    return sorted(rows, key=lambda row: (row[0] or "", row[1] or ""))


def _check(condition: bool, message: str) -> None:
    # An operation that does not do its job makes its count meaningless: the benchmark crashes.
    if not condition:
        raise RuntimeError(message)


PASSWORD = "une phrase de passe du banc"
JSON_HEADERS = {"Content-Type": "application/json"}
LINK_TOKEN = r"#jeton=([A-Za-z0-9_-]{43})"


class Bench:
    """What the measurements share: the counter, `record`, the app, its test client, one event pump
    (kept, so the streams are not read again from their start), and the common steps."""

    def __init__(self, counter: CallCounter, record, http, app) -> None:
        self.counter, self.record, self.http, self.app = counter, record, http, app
        self._pump = None

    # --- HTTP ---------------------------------------------------------------------------------------

    def call(self, method: str, path: str, payload: dict | None = None, headers: dict | None = None,
             status: int = 200) -> dict:
        """Not counted. `status` is checked: an operation that fails makes a count meaningless."""
        response = self.http.request(method.upper(), path, headers={**JSON_HEADERS, **(headers or {})},
                                     body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code == status, f"{method.upper()} {path} answered {response.status_code}: "
               f"{response.body!r}")
        return json.loads(response.body) if response.body else {}

    def measured(self, operation: str, method: str, path: str, payload: dict | None = None,
                 headers: dict | None = None, status: int = 200) -> dict:
        with self.counter.recording() as calls:
            answer = self.call(method, path, payload, headers, status)
        self.record(operation, calls)
        return answer

    def signed_in(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        """The Authorization header of a fresh session."""
        tokens = self.call("post", "/sessions", {"email": email, "password": password})["tokens"]
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    # --- handlers -----------------------------------------------------------------------------------

    def invoke(self, operation: str, handler: str, event: dict) -> Any:
        from lambda_shapes import LambdaContext

        with self.counter.recording() as calls:
            result = self.app.handler_map[handler](event, LambdaContext(f"permis-local-{handler}"))
        self.record(operation, calls)
        return result

    def run_job(self, operation: str, handler: str, expected: dict, clock: str, later: Any) -> None:
        """A scheduled job run `later` (a timedelta) than now, as `clock` (a services module) tells
        time; it must answer `expected`."""
        import importlib

        from chalicelib.local.pump import scheduled_event

        module = importlib.import_module(clock)
        real_now = module.utc_now
        module.utc_now = lambda: real_now() + later
        try:
            done = self.invoke(operation, handler, scheduled_event())
        finally:
            module.utc_now = real_now
        _check(done == expected, f"{handler} answered {done}, expected {expected}")

    def pump(self) -> None:
        """What Lambda's event sources would do, until nothing is left to deliver."""
        from chalicelib.adapters.aws import client
        from chalicelib.local.pump import EventPump

        if self._pump is None:
            self._pump = EventPump(self.app, client)
        self._pump.run_until_idle()

    @contextmanager
    def counting_first(self, operation: str, handler: str, wanted=lambda record: True) -> Iterator[None]:
        """While the pump runs: the first record of `handler` that is `wanted` is run alone and
        counted (a batch of one, what the minimum is stated for); the others run as usual."""
        original = self.app.handler_map[handler]
        counted: list[Any] = []

        def run(event, context):
            picked = [] if counted else [r for r in event["Records"] if wanted(r)][:1]
            if not picked:
                return original(event, context)
            with self.counter.recording() as calls:
                result = original({**event, "Records": picked}, context)
            self.record(operation, calls)
            counted.append(result)
            others = [r for r in event["Records"] if r not in picked]
            return original({**event, "Records": others}, context) if others else result

        self.app.handler_map[handler] = run
        try:
            yield
        finally:
            self.app.handler_map[handler] = original
        # Checked here: the pump logs and swallows what a handler raises.
        _check(bool(counted), f"{handler} received nothing for {operation}")
        _check(not (counted[0] or {}).get("batchItemFailures"), f"{operation} failed: {counted[0]}")

    # --- what the people do -------------------------------------------------------------------------

    def upload(self, headers: dict, number: str, document: str) -> None:
        """A document sent as the browser does: the upload form, then the file straight to S3."""
        from chalicelib.adapters.aws import client

        scan = _scan()
        form = self.call("post", f"/requests/{number}/documents/{document}/upload",
                         {"content_type": "image/jpeg", "size": len(scan)}, headers, 201)
        client("s3").put_object(Bucket=os.environ["BUCKET_DOCUMENTS_NAME"], Key=form["fields"]["key"], Body=scan,
                                ContentType="image/jpeg")

    def link_sent_to(self, address: str) -> str:
        """The token of the last link emailed to `address` (the pump sends the emails)."""
        import re

        self.pump()
        return re.search(LINK_TOKEN, _emails_to(address)[-1].body).group(1)

    def altcha(self) -> str:
        """A solved anti-robot challenge, as the public forms send it."""
        import base64

        from altcha import solve_challenge_v1

        challenge = json.loads(self.http.get("/antirobot/challenge").body)
        number = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                    challenge["maxnumber"]).number
        return base64.b64encode(json.dumps({**{k: challenge[k] for k in ("algorithm", "challenge", "salt",
                                                                          "signature")},
                                            "number": number}).encode()).decode()


def _emails_to(address: str) -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
            if address in m.destinations["ToAddresses"]]


_SCANS: list[bytes] = []


def _scan() -> bytes:
    """A legible JPEG "scan" (made once): the checker accepts it."""
    if not _SCANS:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG", quality=85)
        _SCANS.append(buffer.getvalue())
    return _SCANS[0]


def _records_of(event_type: str):
    """`wanted` for `Bench.counting_first`: the queue messages carrying an outbox event of this type."""
    return lambda record: f'"{event_type}"' in record["body"]


def measure() -> dict[str, Any]:
    _set_environment()
    sys.path.insert(0, str(PROJECT_DIR))
    sys.path.insert(1, str(BENCH_DIR))
    counter = CallCounter()
    counter.install()  # before any client exists, the app's included

    import boto3
    from moto import mock_aws

    from lambda_shapes import LambdaContext, dynamodb_stream_event, sqs_event

    results: list[dict[str, Any]] = []

    def record(operation: str, calls: list[str]) -> None:
        minimum = MINIMUM_CALLS[operation]
        results.append({"operation": operation, "count": len(calls), "calls": list(calls),
                        "minimum": len(minimum), "minimum_calls": list(minimum),
                        "ok": len(calls) <= len(minimum), "writes": list(counter.writes)})

    with mock_aws():
        from chalicelib.adapters.aws import CLIENT_CONFIG
        from chalicelib.local.provision import provision

        # Queue names and the stream ARN are read by decorators at import: environment first.
        os.environ.update(provision("local", WEB_ORIGIN))

        from chalice.test import Client

        from app import app

        http = Client(app, stage_name="local", project_dir=str(PROJECT_DIR)).http
        bench = Bench(counter, record, http, app)
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}

        with counter.recording() as calls:
            response = http.get("/health")
        _check(response.status_code == 200, f"GET /health answered {response.status_code}")
        record("GET /health", calls)

        with counter.recording() as calls:
            response = http.post("/demo/messages", headers=json_headers,
                                 body=json.dumps({"text": "Bonjour du banc d'essai"}).encode())
        _check(response.status_code == 201, f"POST /demo/messages answered {response.status_code}: {response.body!r}")
        record("POST /demo/messages", calls)
        message_id = json.loads(response.body)["id"]

        with counter.recording() as calls:
            response = http.get(f"/demo/messages/{message_id}", headers={"Accept": "application/json"})
        _check(response.status_code == 200, f"GET /demo/messages/<id> answered {response.status_code}")
        record("GET /demo/messages/{message_id}", calls)

        with counter.recording() as calls:
            response = http.get("/openapi.json", headers={"Accept": "application/json"})
        _check(response.status_code == 200, f"GET /openapi.json answered {response.status_code}")
        record("GET /openapi.json", calls)

        # The outbox INSERT the POST wrote, read from the real (moto) stream. CLIENT_CONFIG turns
        # off account-based endpoints, which moto does not serve for dynamodbstreams.
        stream_arn = os.environ["TABLE_MAIN_STREAM_ARN"]
        streams = boto3.client("dynamodbstreams", region_name=REGION, config=CLIENT_CONFIG)
        stream_records = []
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            stream_records += streams.get_records(ShardIterator=iterator)["Records"]
        outbox_inserts = [r for r in stream_records if r["eventName"] == "INSERT"
                          and r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "outbox"]
        _check(len(outbox_inserts) == 1, f"expected 1 outbox INSERT in the stream, found {len(outbox_inserts)}")
        event = dynamodb_stream_event(outbox_inserts, stream_arn, REGION)
        with counter.recording() as calls:
            result = app.handler_map["relay_outbox"](event, LambdaContext("permis-local-relay_outbox"))
        _check(not (result or {}).get("batchItemFailures"), f"relay_outbox reported failures: {result}")
        record("relay_outbox (1 outbox INSERT)", calls)

        # The message the relay sent, as Lambda's SQS poller would deliver it.
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = os.environ["QUEUE_DEMO_URL"]
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        _check(len(messages) == 1, f"expected 1 message in the demo queue, found {len(messages)}")
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        event = sqs_event(messages, queue_arn, REGION)
        with counter.recording() as calls:
            result = app.handler_map["process_demo_messages"](event, LambdaContext("permis-local-process_demo_messages"))
        _check(not (result or {}).get("batchItemFailures"), f"process_demo_messages reported failures: {result}")
        record("process_demo_messages (1 message)", calls)

        response = http.get(f"/demo/messages/{message_id}", headers={"Accept": "application/json"})
        _check(json.loads(response.body).get("status") == "processed", "the worker did not process the message")

        # The Cognito pre-token-generation trigger: nothing for the public, one read for staff.
        pool_id = os.environ["USER_POOL_USERS_ID"]
        boto3.client("cognito-idp", region_name=REGION).admin_create_user(
            UserPoolId=pool_id, Username="agent@bench.example.fr", MessageAction="SUPPRESS")
        for operation, username, groups in (("staff_mfa_gate (candidate's token)", "jeune@bench.example.fr", ["candidat"]),
                                             ("staff_mfa_gate (agent's token)", "agent@bench.example.fr", ["instructeur-ddt"])):
            event = {"version": "2", "userPoolId": pool_id, "userName": username,
                     "request": {"groupConfiguration": {"groupsToOverride": groups}},
                     "response": {"claimsAndScopeOverrideDetails": None}}
            with counter.recording() as calls:
                app.handler_map["staff_mfa_gate"](event, LambdaContext("permis-local-staff_mfa_gate"))
            record(operation, calls)

        measure_accounts(bench)
        measure_support(bench)
        measure_own_account(bench)
        measure_staff_mfa(bench)
        measure_public_reads(bench)

        # handler_map also names the view of each route: those are covered by the routes.
        views = {entry.view_name for methods in app.routes.values() for entry in methods.values()}
        unmeasured = sorted(
            [f"{method} {path}" for path, methods in app.routes.items() for method in methods
             if (path, method) not in MEASURED_ROUTES]
            + [f"handler {name}" for name in app.handler_map
               if name not in MEASURED_HANDLERS and name not in views and name != "api_handler"])
        from chalicelib import settings

        items = table_items(boto3.client("dynamodb", region_name=REGION), settings.table_name("main"))
        from chalice.app import SQSEventConfig

        from chalicelib.resources import CATALOGUE, physical_name

        # Which queue each consumer reads (the capacity model compares its load with the queue's cap).
        logical = {physical_name(queue.logical): queue.logical for queue in CATALOGUE.queues}
        consumers = {source.name: logical[source.queue] for source in app.event_sources
                     if isinstance(source, SQSEventConfig)}
    return {"operations": results, "unmeasured": unmeasured, "ok": all(r["ok"] for r in results),
            "table_items": items, "consumers": consumers}


def measure_accounts(bench: Bench) -> None:
    """Sign-up, activation, sign-in and the token check, with the secret and the JWKS already
    cached (what every request but a container's first one sees)."""
    import gzip
    import re
    from datetime import date

    import moto.cognitoidp
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.adapters import wiring
    from chalicelib.api import auth
    from chalicelib.auth.tokens import JwksCache, TokenVerifier, issuer_for
    from chalicelib.domain.accounts import Agrement
    from chalicelib.local.pump import EventPump
    from chalicelib.adapters.aws import client

    jwks = gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz").read_bytes())
    counter, record, http, app = bench.counter, bench.record, bench.http, bench.app
    verifier = TokenVerifier(JwksCache("moto", fetch=lambda url: jwks), issuer_for(REGION, os.environ["USER_POOL_USERS_ID"]),
                             os.environ["USER_POOL_USERS_CLIENT_ID"])
    auth.verifier = lambda: verifier
    wiring.accounts().import_agrements([Agrement(number="E0000000001", name="École", address="Lyon", departement="69",
                                                 valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))])
    json_headers = {"Content-Type": "application/json"}

    form = {"birth_name": "Martin", "first_name": "Jeanne", "email": "jeanne@bench.example.fr",
            "company_name": "École du banc", "agrement_number": "E0000000001",
            "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002",
                        "commune": "69382"}, "altcha": bench.altcha(), "terms_accepted": True}
    with counter.recording() as calls:
        response = http.post("/accounts/schools", headers=json_headers, body=json.dumps(form).encode())
    _check(response.status_code == 201, f"POST /accounts/schools answered {response.status_code}: {response.body!r}")
    record("POST /accounts/schools", calls)

    EventPump(app, client).run_until_idle()
    [email] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1:]
    token = re.search(r"#jeton=([A-Za-z0-9_-]{43})", email.body).group(1)
    with counter.recording() as calls:
        response = http.post("/accounts/activation", headers=json_headers,
                             body=json.dumps({"token": token, "password": "une phrase de passe du banc"}).encode())
    _check(response.status_code == 200, f"POST /accounts/activation answered {response.status_code}")
    record("POST /accounts/activation", calls)

    with counter.recording() as calls:
        response = http.post("/sessions", headers=json_headers, body=json.dumps(
            {"email": "jeanne@bench.example.fr", "password": "une phrase de passe du banc"}).encode())
    _check(response.status_code == 200, f"POST /sessions answered {response.status_code}")
    record("POST /sessions", calls)
    access = json.loads(response.body)["tokens"]["access_token"]

    from lambda_shapes import LambdaContext

    event = {"type": "TOKEN", "authorizationToken": f"Bearer {access}",
             "methodArn": "arn:aws:execute-api:eu-west-3:123456789012:abc/api/GET/me"}
    app.handler_map["jwt_authorizer"](event, LambdaContext("permis-local-jwt_authorizer"))  # fetches the JWKS once
    with counter.recording() as calls:
        answer = app.handler_map["jwt_authorizer"](event, LambdaContext("permis-local-jwt_authorizer"))
    _check(answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", "the authorizer refused a valid token")
    record("jwt_authorizer (JWKS cached)", calls)

    with counter.recording() as calls:
        response = http.get("/me", headers={"Authorization": f"Bearer {access}"})
    _check(response.status_code == 200, f"GET /me answered {response.status_code}")
    record("GET /me", calls)

    signed = {**json_headers, "Authorization": f"Bearer {access}"}
    with counter.recording() as calls:
        response = http.post("/requests", headers=signed, body=json.dumps(
            {"procedure": "inscription", "mandate": "sans-mandat"}).encode())
    _check(response.status_code == 201, f"POST /requests answered {response.status_code}")
    record("POST /requests", calls)
    number = json.loads(response.body)["request_id"]
    with counter.recording() as calls:
        response = http.put(f"/requests/{number}/steps/declarations", headers=signed, body=json.dumps({
            "exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
            "vision_correction": False, "medical_condition": False, "disability_pension": False}).encode())
    _check(response.status_code == 200, f"PUT step answered {response.status_code}")
    record("PUT /requests/{request_id}/steps/{step}", calls)
    with counter.recording() as calls:
        response = http.get("/requests?limit=20", headers=signed)
    _check(response.status_code == 200, f"GET /requests answered {response.status_code}")
    record("GET /requests (one page)", calls)
    measure_drafts(bench, signed)
    measure_appointments(counter, record, http, app, signed, number)
    measure_submission(bench, signed)
    measure_school_members(bench, signed)
    measure_transfer(bench, signed)


def measure_appointments(counter: CallCounter, record, http, app, school: dict[str, str], number: str) -> None:
    """An administrator of the school's département publishes two slots, lists them and withdraws
    one; the school lists them, books two places for two requests, lists its bookings and cancels
    one; an agent reads the day; the day before, the reminder job finds the remaining booking."""
    from datetime import datetime, timedelta, timezone

    from lambda_shapes import LambdaContext

    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.domain.dates import PARIS, paris_day
    from chalicelib.local.demo_data import ActiveAccounts
    from chalicelib.local.pump import scheduled_event
    from chalicelib.services import appointments as appointments_service

    def call(method: str, path: str, headers: dict, payload: dict | None = None, status: int = 200) -> dict:
        response = getattr(http, method)(path, headers=headers,
                                         body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code == status, f"{method.upper()} {path} answered {response.status_code}: "
               f"{response.body!r}")
        return json.loads(response.body)

    me = call("get", "/me", school)
    departement = wiring.appointments().school_of(wiring.accounts_repository().get_profile(me["account_id"]))[1]
    password = "une phrase de passe du banc"
    admin_id = ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=Role.PREFECTURE, email="prefecture@bench.fr", birth_name="Banc", first_name="Admin",
        departement=departement)), password)
    wiring.accounts_repository().set_mfa_enabled(admin_id)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", json_headers, {"email": "prefecture@bench.fr", "password": password})
    admin = {**json_headers, "Authorization": f"Bearer {access['tokens']['access_token']}"}
    day = (paris_day(datetime.now(timezone.utc)) + timedelta(days=3)).isoformat()

    def measured(operation: str, method: str, path: str, headers: dict, payload: dict | None = None,
                 status: int = 200) -> dict:
        with counter.recording() as calls:
            answer = call(method, path, headers, payload, status)
        record(operation, calls)
        return answer

    slot = {"date": day, "duration_minutes": 30, "place": "Préfecture, salle 2", "capacity": 3}
    slots = [call("post", "/staff/appointments/slots", admin, {**slot, "start_time": "10:00"}, status=201)["slot_id"],
             measured("POST /staff/appointments/slots", "post", "/staff/appointments/slots", admin,
                      {**slot, "start_time": "11:00"}, status=201)["slot_id"]]
    measured("GET /staff/appointments/slots", "get", "/staff/appointments/slots", admin)
    measured("DELETE /staff/appointments/slots/{slot_id}", "delete", f"/staff/appointments/slots/{slots[1]}", admin)
    call("get", "/appointments/slots", school)  # the school's first call (warm caches), as the others
    measured("GET /appointments/slots", "get", "/appointments/slots", school)
    other = call("post", "/requests", school, {"procedure": "inscription", "mandate": "sans-mandat"},
                 status=201)["request_id"]
    call("post", "/appointments/bookings", school, {"slot_id": slots[0], "request_id": number,
                                                    "reason": "Dossier complexe"}, status=201)
    second = measured("POST /appointments/bookings", "post", "/appointments/bookings", school, {
        "slot_id": slots[0], "request_id": other, "reason": "Dossier complexe"}, status=201)
    measured("DELETE /appointments/bookings/{booking_id}", "delete",
             f"/appointments/bookings/{second['booking']['booking_id']}", school)
    measured("GET /appointments/bookings (one booking)", "get", "/appointments/bookings", school)
    measured("GET /staff/appointments (one slot, one booking)", "get", f"/staff/appointments?date={day}", admin)
    day_before = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=PARIS) - timedelta(days=1)
    original_now = appointments_service.utc_now
    appointments_service.utc_now = lambda: day_before + timedelta(minutes=1)
    try:
        with counter.recording() as calls:
            done = app.handler_map["remind_appointments"](scheduled_event(),
                                                          LambdaContext("permis-local-remind_appointments"))
    finally:
        appointments_service.utc_now = original_now
    _check(done == {"reminded": 1}, f"remind_appointments answered {done}")
    record("remind_appointments (1 due)", calls)


def measure_submission(bench: Bench, signed: dict[str, str]) -> None:
    """A complete request submitted with a paper mandate, then one without mandate for a candidate
    who has no account yet, whom the single email brings to validate it. Documents are put in S3
    under the keys the upload forms give, as the browser's POST would, and checked by the worker.
    A third one, for that candidate, waits for their validation past its deadline."""
    import uuid
    from contextlib import nullcontext

    from chalicelib.domain import request_events

    counter, record, http = bench.counter, bench.record, bench.http

    def call(method: str, path: str, payload: dict | None = None, headers: dict | None = None):
        response = getattr(http, method)(path, headers=headers or signed,
                                         body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code in (200, 201), f"{method.upper()} {path} answered {response.status_code}: "
               f"{response.body!r}")
        return json.loads(response.body)

    address = {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002",
               "commune": "69382"}
    steps = {"civil_status": {"birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": "2000-01-01",
                              "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"}},
             "categories": {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                            "first_request": True},
             "declarations": {"exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
                              "vision_correction": False, "medical_condition": False, "disability_pension": False}}

    def complete_request(mandate: str, email: str, ephoto: str, checks=nullcontext()) -> dict:
        """A request ready to submit; `checks` is entered while the checker runs."""
        number = call("post", "/requests", {"procedure": "inscription", "mandate": mandate})["request_id"]
        for step, payload in {**steps, "contact": {"address": address, "email": email,
                                                    "mobile_phone": "0613459724"}}.items():
            call("put", f"/requests/{number}/steps/{step}", payload)
        call("put", f"/requests/{number}/ephoto", {"code": ephoto})
        for needed in call("get", f"/requests/{number}/summary")["required_documents"]:
            if needed["is_file"]:
                bench.upload(signed, number, needed["document"])
        with checks:
            bench.pump()  # the checker accepts them
        return call("get", f"/requests/{number}")

    def submit(request: dict) -> dict:
        return call("post", f"/requests/{request['request_id']}/submission", {"version": request["version"]},
                    {**signed, "Idempotency-Key": str(uuid.uuid4())})

    submitted_ids = []
    for operation, mandate, email, ephoto in (
            ("POST /requests/{request_id}/submission (paper mandate)", "mandat-papier", "papier@bench.example.fr",
             "BENCH00000000000000001"),
            ("POST /requests/{request_id}/submission (new candidate)", "sans-mandat", "candidat@bench.example.fr",
             "BENCH00000000000000002")):
        checks = bench.counting_first("check_documents (1 upload, not the last)", "check_documents") \
            if not submitted_ids else nullcontext()
        request = complete_request(mandate, email, ephoto, checks)
        with counter.recording() as calls:
            submitted = submit(request)
        _check(submitted["status"] in ("en-instruction", "attente-validation-usager"), f"submitted: {submitted}")
        record(operation, calls)
        submitted_ids.append(submitted["request_id"])

    with bench.counting_first("make_receipts (1 submission)", "make_receipts", _records_of(request_events.SUBMITTED)), \
            bench.counting_first("send_emails (1 activation link, a school's candidate)", "send_emails",
                                 lambda message: "candidate_for_school" in message["body"]):
        bench.pump()
    measure_submitted_reads(bench, signed, submitted_ids[0])
    token = bench.link_sent_to("candidat@bench.example.fr")
    json_headers = {"Content-Type": "application/json"}
    call("post", "/accounts/activation", {"token": token, "password": "une phrase de passe du banc"}, json_headers)
    access = call("post", "/sessions", {"email": "candidat@bench.example.fr",
                                        "password": "une phrase de passe du banc"}, json_headers)["tokens"]["access_token"]
    candidate = {**json_headers, "Authorization": f"Bearer {access}"}
    number = submitted["request_id"]
    version = call("get", f"/requests/{number}", headers=candidate)["version"]
    with counter.recording() as calls:
        validated = call("post", f"/requests/{number}/validation", {"version": version}, candidate)
    _check(validated["status"] == "en-instruction", f"validated: {validated}")
    record("POST /requests/{request_id}/validation", calls)
    with bench.counting_first("relay_outbox (ready for instruction)", "relay_outbox",
                              lambda change: request_events.READY_FOR_INSTRUCTION in json.dumps(change)):
        bench.pump()  # the validated request to its instruction queue
    waiting = submit(complete_request("sans-mandat", "candidat@bench.example.fr", "BENCH00000000000000003"))
    measure_validation_lifecycle(bench, signed, waiting["request_id"])
    measure_instruction(bench, call, number, signed)


def measure_instruction(bench: Bench, call, number: str, school: dict[str, str]) -> None:
    """The validated request is in the Rhône's DDT queue; an agent claims it and validates it;
    the attestation is made; its QR code is verified. Then the other request the agent holds."""
    from chalicelib.adapters import wiring
    from chalicelib.domain import request_events
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.local.demo_data import ActiveAccounts

    counter, record, http = bench.counter, bench.record, bench.http
    password = "une phrase de passe du banc"
    active = ActiveAccounts(wiring.accounts())
    agent_id = active.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="agent@bench.fr",
                                                                  birth_name="Banc", first_name="Agent",
                                                                  departement="69")), password)
    wiring.accounts_repository().set_mfa_enabled(agent_id)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", {"email": "agent@bench.fr", "password": password},
                  json_headers)["tokens"]["access_token"]
    agent = {**json_headers, "Authorization": f"Bearer {access}"}
    claimed = []
    while True:  # the paper-mandate request first, then the validated one
        with counter.recording() as calls:
            answer = call("post", "/staff/claims", {}, agent)
        _check(answer["request"] is not None, f"nothing to claim: {answer}")
        claimed.append(answer["request"])
        if answer["request"]["request_id"] == number:
            record("POST /staff/claims", calls)
            break
    with counter.recording() as calls:
        decided = call("post", f"/staff/requests/{number}/decision", {"version": claimed[-1]["version"],
                                                                     "decision": "valider"}, agent)
    _check(decided["status"] == "validee" and decided["neph"], f"decided: {decided}")
    record("POST /staff/requests/{request_id}/decision (validate)", calls)

    with bench.counting_first("make_attestations (1 validation)", "make_attestations"), \
            bench.counting_first("notification (validation: candidate and school)", "send_notifications",
                                 _records_of(request_events.APPROVED)):
        bench.pump()
    payload = wiring.requests_repository().issued(number, "ATT")["payload"]
    call("post", "/verification", {"payload": payload}, json_headers)  # the container's first: reads the key
    with counter.recording() as calls:
        verified = call("post", "/verification", {"payload": payload}, json_headers)
    _check(verified["authentic"], f"verified: {verified}")
    record("POST /verification (key cached)", calls)
    measure_exams(bench, call, decided["neph"], number, school)
    measure_filer_reads(bench, school, number)
    measure_alerts(bench, number)
    measure_partner_event(bench, school)
    measure_mediation(counter, record, call, active, password)
    measure_statistics(counter, record, http, bench.app, call)
    _check(len(claimed) == 2, f"claimed: {[c['request_id'] for c in claimed]}")
    held = claimed[0]["request_id"]  # the paper-mandate request, still held by the agent
    measure_claimed_request(bench, agent, school, held)
    measure_queue_administration(bench, agent, held)


def measure_mediation(counter: CallCounter, record, call, active, password: str) -> None:
    """A digital mediator reads the letters to post (none yet: the query is the same)."""
    from chalicelib.domain.accounts import AgentCreation, Role

    active.open(lambda a: a.create_agent(AgentCreation(
        role=Role.MEDIATEUR, email="mediateur@bench.fr", birth_name="Banc", first_name="Nadia", departement="69",
        structure_name="France Services du banc")), password)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", {"email": "mediateur@bench.fr", "password": password},
                  json_headers)["tokens"]["access_token"]
    with counter.recording() as calls:
        letters = call("get", "/mediation/letters", None, {"Authorization": f"Bearer {access}"})
    _check(letters["letters"] == [], f"letters: {letters}")
    record("GET /mediation/letters", calls)


def measure_exams(bench: Bench, call, neph: str, number: str, school: dict[str, str]) -> None:
    """The school convenes its candidate (and cancels a later convocation); an examiner records
    the theory, then the favourable practical (the CEPC), reads the NEPH's registrations and the
    centre's day; anyone tracks the request from the public page."""
    from datetime import date, datetime, timedelta, timezone

    from chalicelib.domain.accounts import Role
    from chalicelib.domain.dates import paris_day

    counter, record = bench.counter, bench.record
    today = paris_day(datetime.now(timezone.utc))
    convocation = {"test": "pratique", "category": "B", "centre": "Lyon Gerland", "time": "08:30"}
    bench.measured("POST /requests/{request_id}/convocations", "post", f"/requests/{number}/convocations",
                   {**convocation, "day": today.isoformat()}, school, status=201)
    later = bench.call("post", f"/requests/{number}/convocations",
                       {**convocation, "day": (today + timedelta(days=7)).isoformat()}, school, status=201)
    listed = bench.measured("GET /requests/{request_id}/convocations", "get", f"/requests/{number}/convocations",
                            headers=school)
    _check(len(listed["convocations"]) == 2, f"convocations: {listed}")
    bench.measured("DELETE /requests/{request_id}/convocations/{convocation_id}", "delete",
                   f"/requests/{number}/convocations/{later['convocation_id']}", headers=school)

    json_headers = {"Content-Type": "application/json"}
    access = _agent_token(call, Role.INSPECTEUR, "inspecteur@bench.fr", "Inspecteur")
    examiner = {**json_headers, "Authorization": f"Bearer {access}"}
    result = {"neph": neph, "centre": "Lyon Gerland", "examiner": "M. Banc", "category": "B", "outcome": "favorable"}
    call("post", "/staff/exams/results", {**result, "test": "theorie",
                                          "day": (date.today() - timedelta(days=20)).isoformat()}, examiner)
    with counter.recording() as calls:
        passed = call("post", "/staff/exams/results", {**result, "test": "pratique",
                                                       "day": date.today().isoformat()}, examiner)
    _check(passed["cepc"] is not None, f"no CEPC: {passed}")
    record("POST /staff/exams/results (favourable practical)", calls)
    registrations = bench.measured("GET /staff/exams/{neph}", "get", f"/staff/exams/{neph}", headers=examiner)
    _check(len(registrations["registrations"][0]["results"]) == 2, f"registrations: {registrations}")
    sheet = bench.measured("GET /staff/exams/day", "get", "/staff/exams/day?centre=Lyon%20Gerland", headers=examiner)
    _check(len(sheet["rows"]) == 1 and [c["recorded"] for c in sheet["convened"]] == [True],
           f"day sheet: {sheet}")  # the practical recorded today, its convocation done

    proof = bench.altcha()  # also warms the secret cache
    with counter.recording() as calls:
        tracked = call("post", "/suivi", {"request_id": number, "altcha": proof}, json_headers)
    _check(tracked["status"] == "validee", f"tracked: {tracked}")
    record("POST /suivi", calls)


def measure_partner_event(bench: Bench, school: dict[str, str]) -> None:
    """La Poste's delivery of a licence in production, signed with its key (read once before: a
    container's first event reads the partner's secret); then a school's licence returned."""
    from datetime import datetime, timezone

    from chalicelib.adapters import wiring
    from chalicelib.adapters.aws import client
    from chalicelib.domain.licence import sign
    from chalicelib.domain.procedures import Mandate, Procedure, RequestStatus
    from chalicelib.domain.requests import Request

    now = datetime.now(timezone.utc)
    for number in ("261200000001", "261200000002"):
        wiring.requests_repository().create(Request(
            request_id=number, procedure=Procedure.LICENCE_AFTER_EXAM, mandate=Mandate.PAPER,
            status=RequestStatus.IN_PRODUCTION, created_by="bench", created_at=now, updated_at=now,
            licence_ordered_at=now))
    key = client("secretsmanager").get_secret_value(
        SecretId=os.environ["SECRET_PARTNER_LA_POSTE_ARN"])["SecretString"].encode()

    counter, record, http = bench.counter, bench.record, bench.http

    def deliver(number: str, event: str = "remis", **details: str):
        raw = json.dumps({"event_id": f"bench-{number}-{event}", "reference": number, "event": event,
                          "occurred_at": datetime.now(timezone.utc).isoformat(), **details}).encode()
        stamp = str(int(datetime.now(timezone.utc).timestamp()))
        return http.post("/partenaires/evenements", body=raw, headers={
            "Content-Type": "application/json", "X-Partner": "la-poste", "X-Timestamp": stamp,
            "X-Signature": sign(key, stamp, "POST", "/partenaires/evenements", raw)})

    deliver("261200000001")  # the container's first: reads the key
    with counter.recording() as calls:
        response = deliver("261200000002")
    _check(response.status_code == 200 and json.loads(response.body)["status"] == "titre-remis",
           f"partner event answered {response.status_code}: {response.body!r}")
    record("POST /partenaires/evenements (key cached)", calls)
    measure_licence_way(bench, school, deliver)


def measure_support(bench: Bench) -> None:
    """A school writes to the support, lists and reads its tickets; someone not signed in writes;
    the prefecture's administrator of the Rhône reads the queue and answers; the promise's job
    finds a ticket past its week."""
    from datetime import timedelta

    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.local.demo_data import ActiveAccounts

    open_school("support.ecole@bench.fr", "E0069999990", "Support")
    admin_id = ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=Role.PREFECTURE, email="support.pref@bench.fr", birth_name="Banc", first_name="Préfecture",
        departement="69")), PASSWORD)
    wiring.accounts_repository().set_mfa_enabled(admin_id)
    school, admin = bench.signed_in("support.ecole@bench.fr"), bench.signed_in("support.pref@bench.fr")
    form = {"topic": "bug", "subject": "Banc d'essai", "message": "Un message de banc d'essai, assez long."}
    ticket = bench.measured("POST /support/tickets", "post", "/support/tickets", form, school, 201)["ticket_id"]
    bench.measured("POST /support/contact", "post", "/support/contact",
                   {**form, "profile": "autre", "email": "banc@bench.fr", "departement": "69",
                    "altcha": bench.altcha()}, status=201)
    bench.measured("GET /support/tickets", "get", "/support/tickets", headers=school)
    bench.measured("GET /support/tickets/{ticket_id}", "get", f"/support/tickets/{ticket}", headers=school)
    bench.measured("GET /staff/support", "get", "/staff/support", headers=admin)
    bench.measured("GET /staff/support/{ticket_id}", "get", f"/staff/support/{ticket}", headers=admin)
    bench.measured("POST /staff/support/{ticket_id}/answer", "post", f"/staff/support/{ticket}/answer",
                   {"answer": "Réponse du banc d'essai."}, admin)
    bench.run_job("breach_support_promises (1 ticket past its week)", "breach_support_promises", {"breached": 1},
                  "chalicelib.services.support", timedelta(days=8))


def _agent_token(call, role, email: str, first_name: str) -> str:
    """An agent of the Rhône opened and activated, MFA set, signed in: their access token."""
    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation
    from chalicelib.local.demo_data import ActiveAccounts

    password = "une phrase de passe du banc"
    agent_id = ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=role, email=email, birth_name="Banc", first_name=first_name, departement="69")), password)
    wiring.accounts_repository().set_mfa_enabled(agent_id)
    return call("post", "/sessions", {"email": email, "password": password},
                {"Content-Type": "application/json"})["tokens"]["access_token"]


def measure_statistics(counter: CallCounter, record, http, app, call) -> None:
    """A school's submission counted by the statistics worker, then the prefecture's two routes."""
    import uuid
    from datetime import datetime, timezone

    from lambda_shapes import LambdaContext, sqs_event

    from chalicelib.domain import request_events
    from chalicelib.domain.accounts import Role
    from chalicelib.domain.events import OutboxEvent

    now = datetime.now(timezone.utc).isoformat()

    def submissions(first: int, count: int) -> dict:
        events = [OutboxEvent(id=uuid.uuid4().hex, type=request_events.STATUS_CHANGED, aggregate_id=str(number),
                              occurred_at=now, payload={
                                  "request_id": str(number), "procedure": "inscription", "departement": "69",
                                  "school_id": "bench-school", "from": "brouillon", "to": "verification-images",
                                  "at": now, "submitted_at": now}) for number in range(first, first + count)]
        messages = [{"MessageId": uuid.uuid4().hex, "ReceiptHandle": "bench", "Body": e.model_dump_json(),
                     "MessageAttributes": {}} for e in events]
        return sqs_event(messages, f"arn:aws:sqs:{REGION}:000000000000:permis-local-statistics", REGION)

    for operation, event in (("count_statistics (1 school submission)", submissions(261200000009, 1)),
                             ("count_statistics (a batch of 10 submissions)", submissions(261200000100, 10))):
        with counter.recording() as calls:
            result = app.handler_map["count_statistics"](event, LambdaContext("permis-local-count_statistics"))
        _check(not (result or {}).get("batchItemFailures"), f"count_statistics reported failures: {result}")
        record(operation, calls)

    access = _agent_token(call, Role.PREFECTURE, "statistiques.pref@bench.fr", "Préfète")
    for operation, path in (("GET /statistics (département)", "/statistics?departement=69"),
                            ("GET /statistics/export (département)", "/statistics/export?departement=69")):
        with counter.recording() as calls:
            response = http.get(path, headers={"Authorization": f"Bearer {access}"})
        _check(response.status_code == 200, f"{path} answered {response.status_code}: {response.body!r}")
        record(operation, calls)
    figures = json.loads(http.get("/statistics?departement=69", headers={"Authorization": f"Bearer {access}"}).body)
    _check(figures["requests"]["submitted"] >= 1, f"the submission was not counted: {figures['requests']}")


# --- every other route and handler, through the same helpers ----------------------------------------

def measure_drafts(bench: Bench, school: dict[str, str]) -> None:
    """A school's draft as it is typed: a step autosaved and read back, the request read, an upload
    form and the ePhoto code, the summary and the documents; the draft deleted, and what it left
    purged by the worker."""
    from chalicelib.adapters import wiring

    number = bench.call("post", "/requests", {"procedure": "inscription", "mandate": "sans-mandat"}, school,
                        201)["request_id"]
    path = f"/requests/{number}"
    saved = bench.measured("PUT /requests/{request_id}/steps/{step}/draft", "put", f"{path}/steps/civil_status/draft",
                           {"birth_name": "Joun", "first_names": "Tes"}, school)
    _check(saved["step"] == "civil_status", f"autosaved: {saved}")
    drafts = bench.measured("GET /requests/{request_id}/drafts", "get", f"{path}/drafts", headers=school)
    _check("civil_status" in drafts["drafts"], f"drafts: {drafts}")
    request = bench.measured("GET /requests/{request_id}", "get", path, headers=school)
    _check(request["request_id"] == number, f"read: {request}")
    form = bench.measured("POST /requests/{request_id}/documents/{document}/upload", "post",
                          f"{path}/documents/identite/upload", {"content_type": "image/jpeg", "size": 200_000},
                          school, 201)
    _check(number in form["fields"]["key"], f"upload form: {form}")
    bench.measured("PUT /requests/{request_id}/ephoto", "put", f"{path}/ephoto", {"code": "BENCH00000000000000009"},
                   school)
    summary = bench.measured("GET /requests/{request_id}/summary", "get", f"{path}/summary", headers=school)
    _check(not summary["complete"], f"summary: {summary['missing']}")
    documents = bench.measured("GET /requests/{request_id}/documents", "get", f"{path}/documents", headers=school)
    _check({d["document"] for d in documents["documents"]} == {"identite", "ephoto"}, f"documents: {documents}")
    version = bench.call("get", path, headers=school)["version"]
    bench.measured("DELETE /requests/{request_id}", "delete", f"{path}?version={version}", headers=school)
    with bench.counting_first("purge_deleted_drafts (1 draft: autosave, 2 documents)", "purge_deleted_drafts"):
        bench.pump()
    _check(wiring.requests_repository().remains(number) == [], "the deleted draft's items remain")


def measure_validation_lifecycle(bench: Bench, school: dict[str, str], number: str) -> None:
    """A request awaiting its candidate's validation: reminded on day 5, expired after day 7, sent
    again to the candidate, then taken back to draft by the school."""
    from datetime import timedelta

    path = f"/requests/{number}"
    for operation, later, expected in (("remind_and_expire_validations (1 reminder)", timedelta(days=5, hours=12),
                                        {"reminded": 1, "expired": 0}),
                                       ("remind_and_expire_validations (1 expiry)", timedelta(days=8),
                                        {"reminded": 0, "expired": 1})):
        bench.run_job(operation, "remind_and_expire_validations", expected, "chalicelib.services.requests", later)
    version = bench.call("get", path, headers=school)["version"]
    resent = bench.measured("POST /requests/{request_id}/resend-validation", "post", f"{path}/resend-validation",
                            {"version": version}, school)
    _check(resent["status"] == "attente-validation-usager", f"resent: {resent['status']}")
    taken = bench.measured("POST /requests/{request_id}/back-to-draft", "post", f"{path}/back-to-draft",
                           {"version": resent["version"]}, school)
    _check(taken["status"] == "brouillon", f"taken back: {taken['status']}")


def measure_submitted_reads(bench: Bench, school: dict[str, str], number: str) -> None:
    """The filer's reads of a submitted request: its receipt and its history."""
    receipt = bench.measured("GET /requests/{request_id}/receipt", "get", f"/requests/{number}/receipt",
                             headers=school)
    _check(f"recepisse-{number}" in receipt["url"] or "receipts" in receipt["url"], f"receipt: {receipt}")
    history = bench.measured("GET /requests/{request_id}/history", "get", f"/requests/{number}/history",
                             headers=school)
    _check(len(history["history"]) >= 2, f"history: {history}")


def measure_claimed_request(bench: Bench, agent: dict[str, str], school: dict[str, str], number: str) -> None:
    """The agent holding a request examines it, opens a document, extends and releases the claim;
    claims it again and asks for a complement; the school replaces the document and sends it
    back; then the long-waiting job sends its message again."""
    from datetime import timedelta

    from chalicelib.resources import instruction_authorities
    from chalicelib.services.instruction import REQUEUE_AFTER

    _check(len(instruction_authorities()) == AUTHORITIES, "the number of instruction queues changed: see AUTHORITIES")

    path = f"/staff/requests/{number}"
    examined = bench.measured("GET /staff/requests/{request_id}", "get", path, headers=agent)
    _check(examined["request_id"] == number, f"examined: {examined['request_id']}")
    document = next(d["document"] for d in bench.call("get", f"/requests/{number}/documents", headers=school)
                    ["documents"] if d["state"] == "accepted" and d["document"] != "ephoto")
    link = bench.measured("GET /staff/requests/{request_id}/documents/{document}", "get",
                          f"{path}/documents/{document}", headers=agent)
    _check(link["url"].startswith("http"), f"link: {link}")
    measure_ephoto(bench, agent, path)
    extended = bench.measured("POST /staff/requests/{request_id}/extend", "post", f"{path}/extend", {}, agent)
    _check(extended["mine"], f"extended: {extended}")
    bench.measured("POST /staff/requests/{request_id}/release", "post", f"{path}/release", {}, agent)
    todo = bench.measured("GET /staff/worklist (à traiter)", "get", "/staff/worklist", headers=agent)
    _check([row["request_id"] for row in todo["rows"]] == [number], f"worklist: {todo}")
    taken = bench.measured("POST /staff/requests/{request_id}/claim", "post", f"{path}/claim", {}, agent)
    _check(taken["claim"]["mine"], f"taken from the list: {taken['claim']}")
    held = bench.measured("GET /staff/worklist (en cours)", "get", "/staff/worklist?onglet=en-cours", headers=agent)
    _check([row["request_id"] for row in held["rows"]] == [number], f"en cours: {held}")
    measure_messages(bench, agent, school, number)
    bench.call("post", f"{path}/release", {}, agent)
    reasons = bench.measured("GET /staff/reasons", "get", "/staff/reasons", headers=agent)
    claimed = bench.call("post", "/staff/claims", {}, agent)["request"]
    _check(claimed is not None and claimed["request_id"] == number, f"claimed again: {claimed}")
    asked = bench.measured("POST /staff/requests/{request_id}/decision (complement)", "post", f"{path}/decision",
                           {"version": claimed["version"], "decision": "complement",
                            "reasons": [reasons["complement"][0]["code"]], "documents": [document]}, agent)
    _check(asked["status"] == "complement-demande", f"asked: {asked}")
    waiting = bench.measured("GET /staff/worklist (complément)", "get", "/staff/worklist?onglet=complement",
                             headers=agent)
    _check([row["request_id"] for row in waiting["rows"]] == [number], f"complement: {waiting}")
    bench.upload(school, number, document)
    bench.pump()  # the replacement checked
    version = bench.call("get", f"/requests/{number}", headers=school)["version"]
    sent = bench.measured("POST /requests/{request_id}/complement", "post", f"/requests/{number}/complement",
                          {"version": version}, school)
    _check(sent["status"] == "en-instruction", f"complement sent: {sent['status']}")
    bench.pump()
    bench.run_job("requeue_long_waiting (1 request waiting 11 days)", "requeue_long_waiting",
                  {"requeued": 1}, "chalicelib.services.requests", REQUEUE_AFTER + timedelta(days=1))


def measure_ephoto(bench: Bench, agent: dict[str, str], path: str) -> None:
    """The ePhoto photo's first view (the fetch asked), its fetch by the attestations worker from the
    operator's local stand-in, then a view of the copy kept."""
    import threading

    from chalicelib.domain import request_events
    from chalicelib.local.ephoto_server import build_ephoto_server

    operator = build_ephoto_server("127.0.0.1", 0)
    threading.Thread(target=operator.serve_forever, daemon=True).start()
    os.environ["EPHOTO_API_URL"] = operator.url
    try:
        asked = bench.measured("GET /staff/requests/{request_id}/documents/ephoto-photo (first view: asked)", "get",
                               f"{path}/documents/ephoto-photo", headers=agent, status=409)
        _check(asked["code"] == "ephoto_pending", f"ePhoto asked: {asked}")
        with bench.counting_first("make_attestations (1 ePhoto fetch)", "make_attestations",
                                  _records_of(request_events.EPHOTO_REQUESTED)):
            bench.pump()
        _check(len(operator.served) == 2, f"the operator's calls: {operator.served}")
        kept = bench.measured("GET /staff/requests/{request_id}/documents/ephoto-photo (kept)", "get",
                              f"{path}/documents/ephoto-photo", headers=agent)
        _check(kept["content_type"] == "image/jpeg" and len(operator.served) == 2, f"ePhoto kept: {kept}")
    finally:
        operator.shutdown()
        operator.server_close()


def measure_messages(bench: Bench, agent: dict[str, str], school: dict[str, str], number: str) -> None:
    """The agent holding the request writes to the school, which answers; each message's emails."""
    from chalicelib.domain import request_events

    asked = bench.measured("POST /staff/requests/{request_id}/messages", "post", f"/staff/requests/{number}/messages",
                           {"text": "Le justificatif est-il à votre nom ?"}, agent, status=201)
    _check(asked["side"] == "instruction", f"agent's message: {asked}")
    with bench.counting_first("notification (message from the agent: the school)", "send_notifications",
                              _records_of(request_events.MESSAGE_POSTED)):
        bench.pump()
    answered = bench.measured("POST /requests/{request_id}/messages", "post", f"/requests/{number}/messages",
                              {"text": "Oui."}, school, status=201)
    _check(answered["side"] == "demandeur", f"school's message: {answered}")
    with bench.counting_first("notification (message from the school: the agent)", "send_notifications",
                              _records_of(request_events.MESSAGE_POSTED)):
        bench.pump()
    # The school sends a scan with a message; the agent opens it once checked; the agent's form too.
    from chalicelib.adapters.aws import client

    scan = _scan()
    form = bench.measured("POST /requests/{request_id}/messages/pieces-jointes", "post",
                          f"/requests/{number}/messages/pieces-jointes",
                          {"file_name": "facture.jpg", "content_type": "image/jpeg", "size": len(scan)}, school,
                          status=201)
    client("s3").put_object(Bucket=os.environ["BUCKET_DOCUMENTS_NAME"], Key=form["fields"]["key"], Body=scan,
                            ContentType="image/jpeg")
    with bench.counting_first("check_documents (1 message attachment)", "check_documents"):
        bench.pump()
    with_file = bench.measured("POST /requests/{request_id}/messages (1 attachment)", "post",
                               f"/requests/{number}/messages",
                               {"text": "La facture.", "attachments": [form["attachment_id"]]}, school, status=201)
    _check(with_file["attachments"][0]["state"] == "accepted", f"attachment: {with_file}")
    bench.pump()
    for operation, path, headers in (("GET /staff/requests/{request_id}/messages/pieces-jointes/{attachment_id}",
                                      "/staff", agent),
                                     ("GET /requests/{request_id}/messages/pieces-jointes/{attachment_id}", "",
                                      school)):
        opened = bench.measured(operation, "get",
                                f"{path}/requests/{number}/messages/pieces-jointes/{form['attachment_id']}",
                                headers=headers)
        _check(opened["content_type"] == "image/jpeg", f"attachment link: {opened}")
    bench.measured("POST /staff/requests/{request_id}/messages/pieces-jointes", "post",
                   f"/staff/requests/{number}/messages/pieces-jointes",
                   {"file_name": "courrier.pdf", "content_type": "application/pdf", "size": 20_000}, agent, status=201)
    for operation, path, headers in (("GET /staff/requests/{request_id}/messages", "/staff", agent),
                                     ("GET /requests/{request_id}/messages", "", school)):
        thread = bench.measured(operation, "get", f"{path}/requests/{number}/messages", headers=headers)
        _check(len(thread["messages"]) == 3, f"thread: {thread}")


def measure_queue_administration(bench: Bench, agent: dict[str, str], number: str) -> None:
    """An agent reads their queue's state; the prefecture's administrator reads it, who read a
    request, the queue's dead letters, and redrives them."""
    from chalicelib.domain.accounts import Role

    admin = {"Authorization": f"Bearer {_agent_token(bench.call, Role.PREFECTURE, 'files.pref@bench.fr', 'Files')}"}
    mine = bench.measured("GET /staff/queue", "get", "/staff/queue", headers=agent)
    _check(mine["authority"] == "DDT-69", f"queue: {mine}")
    queue = bench.measured("GET /staff/queues/{authority}", "get", "/staff/queues/DDT-69", headers=admin)
    _check(queue["authority"] == "DDT-69", f"queue: {queue}")
    from chalicelib.domain import request_events

    asked = bench.measured("POST /staff/requests/{request_id}/dossier", "post", f"/staff/requests/{number}/dossier",
                           {}, agent, status=202)
    with bench.counting_first("make_attestations (1 dossier)", "make_attestations",
                              _records_of(request_events.DOSSIER_REQUESTED)):
        bench.pump()
    made = bench.measured("GET /staff/requests/{request_id}/dossier/{dossier_id}", "get",
                          f"/staff/requests/{number}/dossier/{asked['dossier_id']}", headers=agent)
    _check(made["url"].startswith("http"), f"dossier: {made}")
    done = bench.measured("GET /staff/worklist (traités)", "get", "/staff/worklist?onglet=traites", headers=agent)
    _check(len(done["rows"]) >= 1, f"traités: {done}")
    found = bench.measured("GET /staff/search/{number}", "get", f"/staff/search/{number}", headers=agent)
    _check([row["request_id"] for row in found["rows"]] == [number], f"search: {found}")
    noted = bench.measured("POST /staff/requests/{request_id}/notes", "post", f"/staff/requests/{number}/notes",
                           {"text": "Appelé l'auto-école."}, agent, status=201)
    _check(noted["text"] == "Appelé l'auto-école.", f"note: {noted}")
    notes = bench.measured("GET /staff/requests/{request_id}/notes", "get", f"/staff/requests/{number}/notes",
                           headers=agent)
    _check(len(notes["notes"]) == 1, f"notes: {notes}")
    reads = bench.measured("GET /staff/requests/{request_id}/reads", "get", f"/staff/requests/{number}/reads",
                           headers=admin)
    _check(len(reads["reads"]) >= 1, f"reads: {reads}")
    letters = bench.measured("GET /staff/queues/{authority}/dead-letters (none)", "get",
                             "/staff/queues/DDT-69/dead-letters", headers=admin)
    _check(letters["dead_letters"] == [], f"dead letters: {letters}")
    redriven = bench.measured("POST /staff/queues/{authority}/dead-letters/redrive (none)", "post",
                              "/staff/queues/DDT-69/dead-letters/redrive", {}, admin)
    _check(redriven["moved"] == 0, f"redriven: {redriven}")


def measure_filer_reads(bench: Bench, school: dict[str, str], number: str) -> None:
    """The school's reads of a validated registration with results: its attestation, its exams, its
    CEPC, one of its documents."""
    bench.pump()  # the CEPC's PDF
    path = f"/requests/{number}"
    for operation, suffix in (("GET /requests/{request_id}/attestations/{document}", "attestations/inscription"),
                              ("GET /requests/{request_id}/cepc/{category}", "cepc/B")):
        link = bench.measured(operation, "get", f"{path}/{suffix}", headers=school)
        _check(link["url"].startswith("http"), f"{operation}: {link}")
    exams = bench.measured("GET /requests/{request_id}/exams", "get", f"{path}/exams", headers=school)
    _check(len(exams["results"]) == 2, f"exams: {exams}")
    opened = bench.measured("GET /requests/{request_id}/documents/{document}/file", "get",
                            f"{path}/documents/identite/file", headers=school)
    _check(opened["content_type"] == "image/jpeg", f"file: {opened}")


def measure_licence_way(bench: Bench, school: dict[str, str], deliver) -> None:
    """A school's licence waits at the post office, is returned after its 15 days by the hourly job,
    and the school asks for it to be sent again."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.adapters import wiring
    from chalicelib.domain.procedures import Mandate, Procedure, RequestStatus
    from chalicelib.domain.requests import Request

    number, now = "261200000003", datetime.now(timezone.utc)
    school_account = bench.call("get", "/me", headers=school)["account_id"]
    school_id = wiring.accounts_repository().get_profile(school_account).school_id
    wiring.requests_repository().create(Request(
        request_id=number, procedure=Procedure.LICENCE_AFTER_EXAM, mandate=Mandate.PAPER, school_id=school_id,
        status=RequestStatus.IN_PRODUCTION, created_by="bench", created_at=now, updated_at=now, licence_ordered_at=now))
    noticed = deliver(number, "avise", post_office="Lyon Bellecour")
    _check(noticed.status_code == 200, f"avisé: {noticed.status_code} {noticed.body!r}")
    bench.run_job("advance_licences (1 returned)", "advance_licences", {"returned": 1, "warned": 0, "destroyed": 0},
                  "chalicelib.services.requests", timedelta(days=16))
    version = bench.call("get", f"/requests/{number}", headers=school)["version"]
    resent = bench.measured("POST /requests/{request_id}/licence/resend", "post", f"/requests/{number}/licence/resend",
                            {"version": version}, school)
    _check(resent["licence"]["resend_requested_at"] is not None, f"resend: {resent['licence']}")


def measure_alerts(bench: Bench, number: str) -> None:
    """Someone subscribes to a request's alerts, confirms with the emailed code, unsubscribes."""
    import re

    from chalicelib.adapters import wiring
    from chalicelib.domain.alerts import Channel

    target = {"request_id": number, "channel": "email", "address": "famille@bench.fr"}
    bench.measured("POST /alerts/subscriptions", "post", "/alerts/subscriptions", {**target, "altcha": bench.altcha()},
                   status=202)
    bench.pump()
    code = re.search(r"abonnement : (\d{6})\b", _emails_to("famille@bench.fr")[-1].body).group(1)
    confirmed = bench.measured("POST /alerts/confirmation", "post", "/alerts/confirmation", {**target, "code": code})
    _check(confirmed["request_id"] == number, f"confirmed: {confirmed}")
    alerts = wiring.alerts()
    token = alerts.unsubscribe_token(alerts.repo.get(number, Channel.EMAIL, "famille@bench.fr"))
    bench.measured("POST /alerts/unsubscribe", "post", "/alerts/unsubscribe", {"token": token})
    _check(alerts.repo.get(number, Channel.EMAIL, "famille@bench.fr").status.value != "active", "still subscribed")


def open_school(email: str, agrement: str, first_name: str) -> None:
    """An active school account (its own agrément of the Rhône), as if signed up and activated."""
    from datetime import date

    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import Agrement, SchoolSignUp
    from chalicelib.local.demo_data import ActiveAccounts

    active = ActiveAccounts(wiring.accounts())
    active.accounts.import_agrements([Agrement(number=agrement, name="Banc", address="Lyon", departement="69",
                                               valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))])
    active.open(lambda a: a.sign_up_school(SchoolSignUp.model_validate({
        "birth_name": "Banc", "first_name": first_name, "email": email, "company_name": f"Banc {first_name}",
        "agrement_number": agrement, "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour",
                                                 "postal_code": "69002", "commune": "69382"},
        "altcha": "banc", "terms_accepted": True})), PASSWORD)


def measure_transfer(bench: Bench, school: dict[str, str]) -> None:
    """Another school takes over one of the school's drafts, with its number and the former agrément."""
    number = bench.call("post", "/requests", {"procedure": "inscription", "mandate": "sans-mandat"}, school,
                        201)["request_id"]
    open_school("reprise.ecole@bench.fr", "E0069999991", "Reprise")
    taken = bench.measured("POST /requests/transfer", "post", "/requests/transfer",
                           {"request_id": number, "former_agrement": "E0000000001"},
                           bench.signed_in("reprise.ecole@bench.fr"))
    _check(taken["school_name"] == "Banc Reprise", f"transferred: {taken['school_name']}")


def measure_school_members(bench: Bench, school: dict[str, str]) -> None:
    """The school's administrator invites two colleagues, lists them and removes one; the other never
    activates, and the hourly purge deletes their account after 7 days."""
    from datetime import timedelta

    colleague = {"birth_name": "Banc", "first_name": "Collègue"}
    removed = bench.measured("POST /school/members", "post", "/school/members",
                             {**colleague, "email": "collegue1@bench.fr"}, school, 201)["account_id"]
    bench.call("post", "/school/members", {**colleague, "email": "collegue2@bench.fr"}, school, 201)
    members = bench.measured("GET /school/members", "get", "/school/members", headers=school)
    _check(len(members["members"]) == 3, f"members: {members}")
    bench.measured("DELETE /school/members/{account_id}", "delete", f"/school/members/{removed}", headers=school)
    bench.pump()
    bench.run_job("purge_unactivated_accounts (1 invited colleague)", "purge_unactivated_accounts", {"purged": 1},
                  "chalicelib.services.accounts", timedelta(days=8))


def measure_own_account(bench: Bench) -> None:
    """A candidate signs up, previews the activation link, asks for a new one, activates; refreshes
    the session; corrects, exports their data; changes password and email; forgets the password and
    resets it; signs out everywhere; closes the account."""
    email, new_email, new_password = "compte@bench.fr", "compte.nouveau@bench.fr", "une autre phrase du banc"
    form = {"birth_name": "Banc", "first_names": "Camille", "sex": "F", "birth_date": "2004-05-06",
            "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}, "email": email,
            "mobile_phone": "0613459725", "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour",
                                                      "postal_code": "69002", "commune": "69382"},
            "altcha": bench.altcha(), "terms_accepted": True}
    bench.measured("POST /accounts/candidates", "post", "/accounts/candidates", form, status=201)
    preview = bench.measured("POST /accounts/activation/preview", "post", "/accounts/activation/preview",
                             {"token": bench.link_sent_to(email)})
    _check(preview["role"] == "candidat", f"preview: {preview}")
    bench.measured("POST /accounts/activation/resend", "post", "/accounts/activation/resend", {"email": email},
                   status=202)
    signed = bench.call("post", "/accounts/activation", {"token": bench.link_sent_to(email), "password": PASSWORD})
    refreshed = bench.measured("POST /sessions/refresh", "post", "/sessions/refresh",
                               {"refresh_token": signed["tokens"]["refresh_token"]})
    me = {"Authorization": f"Bearer {refreshed['access_token']}"}
    corrected = bench.measured("PATCH /me", "patch", "/me", {"usage_name": "Essai"}, me)
    _check(corrected["usage_name"] == "Essai", f"corrected: {corrected}")
    exported = bench.measured("GET /me/export", "get", "/me/export", headers=me)
    _check(exported["account"]["email"] == email, f"export: {exported['account']}")
    bench.measured("PUT /me/password", "put", "/me/password", {"current_password": PASSWORD,
                                                                "new_password": new_password}, me)
    bench.measured("POST /me/email", "post", "/me/email", {"new_email": new_email, "password": new_password}, me,
                   status=202)
    bench.measured("POST /me/email/confirm", "post", "/me/email/confirm", {"token": bench.link_sent_to(new_email)})
    bench.measured("POST /passwords/forgotten", "post", "/passwords/forgotten", {"email": new_email}, status=202)
    bench.measured("POST /passwords/reset", "post", "/passwords/reset",
                   {"token": bench.link_sent_to(new_email), "password": PASSWORD})
    bench.measured("DELETE /sessions", "delete", "/sessions", headers=bench.signed_in(new_email))
    bench.measured("DELETE /me", "delete", "/me", headers=bench.signed_in(new_email))
    bench.call("post", "/sessions", {"email": new_email, "password": PASSWORD}, status=401)  # closed


def measure_staff_mfa(bench: Bench) -> None:
    """An agent sets up their double authentication, then signs in with a code."""
    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.local.demo_data import ActiveAccounts

    email = "mfa.agent@bench.fr"
    ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=Role.INSTRUCTEUR_DDT, email=email, birth_name="Banc", first_name="Mfa", departement="69")), PASSWORD)
    agent = bench.signed_in(email)
    setup = bench.measured("POST /me/mfa/setup", "post", "/me/mfa/setup", {}, agent)
    _check(setup["otpauth_uri"].startswith("otpauth://totp/"), f"setup: {setup}")
    bench.measured("POST /me/mfa/verify", "post", "/me/mfa/verify", {"code": "123456"}, agent)
    challenge = bench.call("post", "/sessions", {"email": email, "password": PASSWORD})
    _check(challenge["status"] == "mfa_required", f"sign-in: {challenge}")
    answered = bench.measured("POST /sessions/mfa", "post", "/sessions/mfa",
                              {"email": email, "session": challenge["session"], "code": "123456"})
    _check(answered["status"] == "signed_in", f"answered: {answered['status']}")


def measure_public_reads(bench: Bench) -> None:
    """Public pages' reads with the container's caches warm (secret, signing key): the anti-robot
    challenge, the communes of a postal code, the signatures' public key."""
    for operation, path in (("GET /antirobot/challenge", "/antirobot/challenge"),
                            ("GET /communes/{postal_code}", "/communes/69002"),
                            ("GET /verification/public-key", "/verification/public-key")):
        bench.call("get", path)
        bench.measured(operation, "get", path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()
    measured = measure()
    if args.json:
        args.json.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    for row in measured["operations"]:
        print(f"{row['operation']:<38} {row['count']}  {', '.join(row['calls']) or '-':<45} "
              f"min {row['minimum']}  {'OK' if row['ok'] else 'OVER'}")
    for name in measured["unmeasured"]:
        print(f"not measured: {name}")
