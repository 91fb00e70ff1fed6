"""Adapters built on first use, once per process: handlers ask here, tests replace them.

Adapter modules are imported when first asked for: a cold function imports only what its
request uses (boto3 itself included)."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalicelib import settings

if TYPE_CHECKING:
    from chalicelib.adapters.accounts_repository import DynamoAccountsRepository
    from chalicelib.adapters.demo_repository import DynamoDemoRepository
    from chalicelib.adapters.identity import CognitoDirectory
    from chalicelib.adapters.mailer import SesMailer
    from chalicelib.adapters.queues import QueuePublisher
    from chalicelib.services.accounts import Accounts


def client(service: str):
    from chalicelib.adapters.aws import client as aws_client

    return aws_client(service)


@functools.cache
def demo_repository() -> "DynamoDemoRepository":
    from chalicelib.adapters.demo_repository import DynamoDemoRepository

    return DynamoDemoRepository(client("dynamodb"), settings.table_name("main"))


@functools.cache
def queue_publisher() -> "QueuePublisher":
    from chalicelib.adapters.queues import QueuePublisher

    return QueuePublisher(client("sqs"))


@functools.cache
def cognito_directory() -> "CognitoDirectory":
    """For the Cognito trigger, which learns the pool from its event."""
    from chalicelib.adapters.identity import CognitoDirectory

    return CognitoDirectory(client("cognito-idp"))


@functools.cache
def accounts_repository() -> "DynamoAccountsRepository":
    from chalicelib.adapters.accounts_repository import DynamoAccountsRepository

    return DynamoAccountsRepository(client("dynamodb"), settings.table_name("main"))


@functools.cache
def requests_repository():
    from chalicelib.adapters.requests_repository import DynamoRequestsRepository

    from chalicelib.adapters import secrets

    return DynamoRequestsRepository(client("dynamodb"), settings.table_name("main"),
                                    cursor_key=lambda: secrets.hmac_key("cursors"))


@functools.cache
def documents_repository():
    from chalicelib.adapters.documents_repository import DynamoDocumentsRepository

    return DynamoDocumentsRepository(client("dynamodb"), settings.table_name("main"))


def requests_service():
    """The requests' use cases, for the API and the workers alike (accounts are built only when a
    use case asks for them)."""
    from chalicelib.services.requests import Requests

    return Requests(requests_repository(), documents_repository(), accounts=accounts, upload_exists=upload_exists,
                    delete_files=delete_files)


@functools.cache
def instruction_records():
    """Claims, decisions' rows, reads, notes and dossiers (the API and the workers that need them)."""
    from chalicelib.adapters.instruction_repository import DynamoInstructionRecords

    return DynamoInstructionRecords(client("dynamodb"), settings.table_name("main"))


def instruction_service():
    """Agents' work on the instruction queues, for the API (claims, decisions, queue health)."""
    from chalicelib.adapters.instruction_queues import SqsInstructionQueues
    from chalicelib.adapters.instruction_repository import DynamoNephRegistry
    from chalicelib.services.instruction import Instruction

    table = settings.table_name("main")
    return Instruction(requests_service(), DynamoNephRegistry(client("dynamodb"), table),
                       instruction_records(), SqsInstructionQueues(client("sqs")),
                       presign=presigned_download, open_link=presigned_inline, decisions=statistics().decisions)


def messages_service():
    """The requests' threads between the filing side and the instructors."""
    from chalicelib.services.messages import Messages

    return Messages(requests_service(), messages_repository(), instructed=instruction_service().instructed,
                    records=instruction_records(), open_link=presigned_inline,
                    presign_post=functools.partial(client("s3").generate_presigned_post,
                                                   Bucket=settings.bucket_name("documents")))


@functools.cache
def messages_repository():
    from chalicelib.adapters.messages_repository import DynamoMessagesRepository

    return DynamoMessagesRepository(client("dynamodb"), settings.table_name("main"))


def exams_service():
    """Examiners' results and the CEPC, for the API."""
    from chalicelib.adapters.exams_repository import DynamoExamsRepository
    from chalicelib.services.exams import Exams

    return Exams(requests_service(), DynamoExamsRepository(client("dynamodb"), settings.table_name("main")))
def licences_service():
    """The licence's way: partners' events, scheduled steps, resend (for the API and the job)."""
    from chalicelib.adapters import secrets
    from chalicelib.adapters.licence_records import DynamoLicenceRecords
    from chalicelib.domain.licence import secret_logical
    from chalicelib.services.licence import Licences

    return Licences(requests_service(), DynamoLicenceRecords(client("dynamodb"), settings.table_name("main")),
                    partner_key=lambda partner: secrets.partner_key(secret_logical(partner)))


def presigned_download(key: str, file_name: str, seconds: int = 60) -> str:
    """A link of `seconds` to a file of the documents bucket, downloaded under `file_name`."""
    return client("s3").generate_presigned_url("get_object", ExpiresIn=seconds, Params={
        "Bucket": settings.bucket_name("documents"), "Key": key,
        "ResponseContentDisposition": f'attachment; filename="{file_name}"'})


def presigned_inline(key: str, file_name: str, content_type: str, seconds: int = 60) -> str:
    """A link of `seconds` to a file of the documents bucket, shown in the page (an <img>, a PDF in
    the browser) rather than downloaded: inline, with its own content type."""
    return client("s3").generate_presigned_url("get_object", ExpiresIn=seconds, Params={
        "Bucket": settings.bucket_name("documents"), "Key": key, "ResponseContentType": content_type,
        "ResponseContentDisposition": f'inline; filename="{file_name}"'})


def delete_files(prefixes: list[str]) -> int:
    """Deletes for good every version (and delete marker) of the documents bucket's objects under
    `prefixes`: the bucket is versioned, and a plain delete would keep the file 30 days behind a
    marker. How many versions were deleted; a replay finds none."""
    s3, bucket = client("s3"), settings.bucket_name("documents")
    deleted = 0
    for prefix in prefixes:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            versions = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                        for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for first in range(0, len(versions), 1000):  # S3's limit per DeleteObjects
                answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": versions[first:first + 1000],
                                                                  "Quiet": True})
                if answer.get("Errors"):
                    raise RuntimeError(f"S3 refused to delete {len(answer['Errors'])} file version(s)")
            deleted += len(versions)
    return deleted


def documents():
    from chalicelib.services.documents import Documents

    return Documents(documents_repository(),
                     presign=functools.partial(client("s3").generate_presigned_post,
                                               Bucket=settings.bucket_name("documents")),
                     open_link=presigned_inline)


def ephoto_operator():
    """The approved ePhoto operator's API (EPHOTO_API_URL: the operator's, or the local stand-in's)."""
    from chalicelib.adapters.ephoto import HttpEphotoOperator

    return HttpEphotoOperator(settings.ephoto_api_url())


def store_checked_file(key: str, content: bytes, content_type: str) -> None:
    """A checked file into the documents bucket."""
    client("s3").put_object(Bucket=settings.bucket_name("documents"), Key=key, Body=content, ContentType=content_type)


def upload_exists(key: str) -> bool:
    """Whether the documents bucket holds `key` (HeadObject: no body read)."""
    from botocore.exceptions import ClientError

    try:
        client("s3").head_object(Bucket=settings.bucket_name("documents"), Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


@functools.cache
def signer():
    """The documents' signing key (KMS); its public key is read once per process."""
    from chalicelib.adapters.signer import KmsSigner

    return KmsSigner(client("kms"), settings.key_id("signing"))


@functools.cache
def user_directory() -> "CognitoDirectory":
    from chalicelib.adapters.identity import CognitoDirectory

    return CognitoDirectory(client("cognito-idp"), settings.user_pool_id(), settings.user_pool_client_id())


@functools.cache
def mailer() -> "SesMailer":
    from chalicelib.adapters.mailer import SesMailer

    return SesMailer(client("ses"), settings.email_sender(), settings.email_configuration_set())


@functools.cache
def alerts_repository():
    from chalicelib.adapters.alerts_repository import DynamoAlertsRepository

    return DynamoAlertsRepository(client("dynamodb"), settings.table_name("main"))


def alerts():
    """Alert subscriptions: codes and unsubscribe links are HMACs of keys of their own."""
    from chalicelib.adapters import secrets
    from chalicelib.services.alerts import Alerts

    return Alerts(alerts_repository(), requests_repository(), key=lambda: secrets.hmac_key("alerts"),
                  links_key=lambda: secrets.hmac_key("links"))


@functools.cache
def sms():
    from chalicelib.adapters.sms import SnsSms

    return SnsSms(client("sns"), settings.sms_sender())


def accounts() -> "Accounts":
    from chalicelib.adapters import secrets
    from chalicelib.services.accounts import Accounts

    return Accounts(accounts_repository(), user_directory(), link_key=lambda: secrets.hmac_key("links"),
                    requests=requests_repository(), thread=lambda request_id: messages_repository().thread(request_id))


def franceconnect() -> "FranceConnect":
    """Candidates' accounts through FranceConnect (the user pool's OAuth domain and its tokens)."""
    from chalicelib.adapters.identity import CognitoOAuth
    from chalicelib.api.auth import verifier
    from chalicelib.domain.franceconnect import CALLBACK_PAGE
    from chalicelib.services.franceconnect import FranceConnect

    oauth = CognitoOAuth(settings.user_pool_domain(), settings.user_pool_client_id(),
                         f"{settings.web_origin()}/{CALLBACK_PAGE}")
    return FranceConnect(accounts(), oauth, lambda token: verifier().verify_access_token(token))


@functools.cache
def support_repository():
    from chalicelib.adapters.support_repository import DynamoSupportRepository

    return DynamoSupportRepository(client("dynamodb"), settings.table_name("main"))


def support():
    """The support desk: tickets, the agents' queues and answers, the promise's job."""
    from chalicelib.services.support import Support

    return Support(support_repository(), requests_repository(), accounts_repository())


@functools.cache
def statistics_repository():
    from chalicelib.adapters.statistics_repository import DynamoStatisticsRepository

    return DynamoStatisticsRepository(client("dynamodb"), settings.table_name("main"))


def statistics():
    from chalicelib.services.statistics import Statistics

    return Statistics(statistics_repository())


def reset() -> None:
    from chalicelib.adapters import secrets

    for cached in (demo_repository, queue_publisher, cognito_directory, accounts_repository, user_directory, mailer,
                   requests_repository, documents_repository, signer, alerts_repository, sms, support_repository,
                   statistics_repository, messages_repository, instruction_records):
        cached.cache_clear()
    secrets.reset()


def appointments_repository():
    from chalicelib.adapters.appointments_repository import DynamoAppointmentsRepository

    return DynamoAppointmentsRepository(client("dynamodb"), settings.table_name("main"))


def appointments():
    """Appointments for complex dossiers (issue 9): slots, bookings, reminders."""
    from chalicelib.services.appointments import Appointments

    return Appointments(appointments_repository(), accounts_repository(), requests_repository())
