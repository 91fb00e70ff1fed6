"""Document checker: S3 announces each upload on the document-checks queue; the worker reads the
file, checks it (chalicelib/documents/checks.py), keeps an accepted file re-encoded under checked/
and deletes the upload as the browser sent it (with its metadata), then records the result.
A replayed message, or one about a file replaced since, changes nothing."""
from __future__ import annotations

import json
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
    from chalicelib.documents.checks import Accepted, check_document
    from chalicelib.domain.rules import DOCUMENT_SPECS, DocumentType
    from chalicelib.services.documents import parse_upload_key

    parsed = parse_upload_key(key)
    if parsed is None:
        return None  # not an upload of ours: nothing to check
    request_id, document = parsed
    documents = wiring.documents_repository()
    record = documents.get(request_id, document)
    if record is None or record["key"] != key or record["state"] in ("accepted", "refused"):
        return None  # replaced by a newer upload, or already checked (a replayed message)
    s3, bucket = wiring.client("s3"), settings.bucket_name("documents")
    spec = DOCUMENT_SPECS[DocumentType(document)]
    obj = s3.get_object(Bucket=bucket, Key=key)
    version = obj.get("VersionId")
    data = obj["Body"].read((spec.max_bytes or 0) + 1)  # never more than one byte over the limit
    result = check_document(data, record["content_type"], spec.min_bytes or 1, spec.max_bytes or 1)
    now = datetime.now(timezone.utc)
    clean_key, clean_version = None, None
    if isinstance(result, Accepted):
        clean_key = CHECKED_PREFIX + key[len(UPLOADS_PREFIX):]
        clean_version = s3.put_object(Bucket=bucket, Key=clean_key, Body=result.content,
                                      ContentType=result.content_type).get("VersionId")
        state, reason = "accepted", None
    else:
        state, reason = "refused", result.reason
    if not documents.record_check(request_id, document, key, state, reason, now, clean_key):
        if documents.get(request_id, document) is None:  # its draft was deleted during the check
            for stale_key, stale_version in ((clean_key, clean_version), (key, version)):
                if stale_key and stale_version:  # nothing of it is kept, not even the copy just made
                    s3.delete_object(Bucket=bucket, Key=stale_key, VersionId=stale_version)
        return None
    if version:  # the file as sent (metadata included) goes for good, not behind a delete marker
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    if state == "accepted":  # the last required document accepted: instruction begins by itself
        wiring.requests_service().documents_checked(request_id)
    return state


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
