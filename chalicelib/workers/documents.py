"""Document checker: S3 announces each upload on the document-checks queue (a request's documents and
the files sent with its messages); the worker reads the file, checks it (chalicelib/documents/
checks.py), keeps an accepted file re-encoded under checked/ and deletes the upload as the browser
sent it (with its metadata), then records the result. A replayed message, or one about a file
replaced since, changes nothing."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from chalice import Blueprint

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.resources import CHECKED_PREFIX, UPLOADS_PREFIX, physical_name

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

blueprint = Blueprint(__name__)


def check_upload(key: str) -> str | None:
    """The state recorded for this upload, or None when there was nothing to do."""
    from chalicelib.domain.rules import DOCUMENT_SPECS, DocumentType
    from chalicelib.services.documents import parse_upload_key

    attachment = parse_attachment_key(key)
    if attachment is not None:
        return check_attachment(key, *attachment)
    parsed = parse_upload_key(key)
    if parsed is None:
        return None  # not an upload of ours: nothing to check
    request_id, document = parsed
    documents = wiring.documents_repository()
    record = documents.get(request_id, document)
    if record is None or record["key"] != key or record["state"] in ("accepted", "refused"):
        return None  # replaced by a newer upload, or already checked (a replayed message)
    checked = _check(key, record["content_type"], DOCUMENT_SPECS[DocumentType(document)])
    if not documents.record_check(request_id, document, key, checked.state, checked.reason, checked.at,
                                  checked.clean_key):
        if documents.get(request_id, document) is None:  # its draft was deleted during the check
            checked.forget()
        return None
    checked.drop_upload()
    if checked.state == "accepted":  # the last required document accepted: instruction begins by itself
        wiring.requests_service().documents_checked(request_id)
    return checked.state


def parse_attachment_key(key: str) -> tuple[str, str] | None:
    """(request, attachment) for uploads/<request>/piece-jointe/<id>, a file sent with a message."""
    from chalicelib.domain.messages import ATTACHMENT_FOLDER

    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/" != UPLOADS_PREFIX or not parts[1].isdigit() or parts[2] != ATTACHMENT_FOLDER \
            or not parts[3].isalnum():
        return None
    return parts[1], parts[3]


def check_attachment(key: str, request_id: str, attachment_id: str) -> str | None:
    """A message's attachment goes through the same checks as a request's documents."""
    from chalicelib.domain.messages import ATTACHMENT_SPEC

    messages = wiring.messages_repository()
    record = messages.attachment_record(request_id, attachment_id)
    if record is None or record["key"] != key or record["state"] in ("accepted", "refused"):
        return None  # expired unsent, purged, or already checked (a replayed message)
    checked = _check(key, record["content_type"], ATTACHMENT_SPEC)
    if not messages.record_attachment_check(request_id, attachment_id, key, checked.state, checked.reason,
                                            checked.at, checked.clean_key):
        if messages.attachment_record(request_id, attachment_id) is None:
            checked.forget()
        return None
    checked.drop_upload()
    return checked.state


@dataclass
class _Checked:
    """One file's check: its verdict, and the versions in the bucket it leaves behind."""
    state: str
    reason: str | None
    at: datetime
    key: str
    version: str | None
    clean_key: str | None
    clean_version: str | None

    def drop_upload(self) -> None:
        """The file as sent (metadata included) goes for good, not behind a delete marker."""
        if self.version:
            _bucket().delete_object(Bucket=settings.bucket_name("documents"), Key=self.key, VersionId=self.version)

    def forget(self) -> None:
        """Its record went during the check (draft deleted, request purged): nothing of it is kept,
        not even the copy just made."""
        for stale_key, stale_version in ((self.clean_key, self.clean_version), (self.key, self.version)):
            if stale_key and stale_version:
                _bucket().delete_object(Bucket=settings.bucket_name("documents"), Key=stale_key,
                                        VersionId=stale_version)


def _bucket():
    return wiring.client("s3")


def _check(key: str, content_type: str, spec) -> _Checked:
    """Reads the upload (never more than one byte over the limit), checks it and keeps an accepted
    file re-encoded under checked/."""
    from chalicelib.documents.checks import Accepted, check_document

    s3, bucket = _bucket(), settings.bucket_name("documents")
    obj = s3.get_object(Bucket=bucket, Key=key)
    version = obj.get("VersionId")
    data = obj["Body"].read((spec.max_bytes or 0) + 1)
    result = check_document(data, content_type, spec.min_bytes or 1, spec.max_bytes or 1)
    now = datetime.now(timezone.utc)
    if isinstance(result, Accepted):
        clean_key = CHECKED_PREFIX + key[len(UPLOADS_PREFIX):]
        clean_version = s3.put_object(Bucket=bucket, Key=clean_key, Body=result.content,
                                      ContentType=result.content_type).get("VersionId")
        return _Checked("accepted", None, now, key, version, clean_key, clean_version)
    return _Checked("refused", result.reason, now, key, version, None, None)


def process_record(record: "SQSRecord") -> None:
    message = json.loads(record.body)
    for event in message.get("Records", []):  # S3 also sends a s3:TestEvent without records
        if event.get("eventName", "").startswith("ObjectCreated"):
            check_upload(unquote_plus(event["s3"]["object"]["key"]))


@blueprint.on_sqs_message(queue=physical_name("document-checks"), batch_size=5)
def check_documents(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
