"""Use cases of accounts: one function per user action. Each commits its state change and the
outbox event of its consequence (an email) together; emails are sent by the email worker."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from chalicelib.adapters.accounts_repository import DynamoAccountsRepository, LinkRecord, Member
from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.adapters.identity import EMAIL_ALREADY_USED_MESSAGE, CognitoDirectory, MfaChallenge, Tokens
from chalicelib.domain import links
from chalicelib.domain.accounts import (CREATED_BY_ADMINISTRATORS, ACTIVATION_DAYS, EMAIL_CHANGE_HOURS, PASSWORD_RESET_HOURS, AccountStatus,
                                        AgentCreation, Agrement, CandidateForSchool, CandidateSignUp,
                                        MemberInvitation, Profile, Role, School, SchoolRole, SchoolSignUp, mask_email,
                                        normalize_email)
from chalicelib.domain.errors import Conflict, ErrorDetail, Forbidden, InvalidInput, NotFound
from chalicelib.domain.events import OutboxEvent
from chalicelib.observability import logger

from chalicelib.domain.account_events import (ACTIVATION_LINK, ACTIVATION_RESEND_REQUESTED, EMAIL_CHANGE_REQUESTED,
                                              EMAIL_CHANGED, MEMBER_REMOVED, PASSWORD_RESET_REQUESTED,
                                              SCHOOL_ACCOUNT_OPENED)

LINK_INVALID = NotFound(
    "link_invalid",
    "Ce lien n'est plus valable : il a expiré, a déjà servi ou a été remplacé par un lien plus récent. "
    "Demandez-en un nouveau (ou recommencez la démarche) pour recevoir un lien valable.")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def revocation_second(now: datetime) -> float:
    """Tokens issued before this second are refused. Token times are whole seconds: a sign-in in
    the same second as a sign-out must work, so the second of the sign-out itself is kept (a token
    issued earlier in that very second survives; it is at most one second old)."""
    return float(int(now.timestamp()))


class RequestsInProgress(Protocol):
    """What accounts need to know of requests (adapters/requests_repository.py)."""

    def count_for_account(self, account_id: str) -> int: ...
    def count_for_school(self, school_id: str) -> int: ...
    def all_for_account(self, account_id: str) -> list[Any]: ...


@dataclass
class Accounts:
    repo: DynamoAccountsRepository
    directory: CognitoDirectory
    link_key: Callable[[], bytes]
    requests: RequestsInProgress
    # Looked up at each call, so tests can move time by patching this module's utc_now.
    clock: Callable[[], datetime] = field(default=lambda: utc_now())
    new_nonce: Callable[[], str] = links.new_nonce
    # A request's messages, oldest first (adapters/messages_repository.py): part of the export.
    thread: Callable[[str], list[Any]] = field(default=lambda request_id: [])

    # --- opening accounts ----------------------------------------------------------------------

    def sign_up_school(self, form: SchoolSignUp) -> "Opened":
        now = self.clock()
        agrement = self.repo.get_agrement(form.agrement_number)
        _check_agrement(agrement, now.date())
        self._check_email_free(form.email)
        account_id = self.directory.create_user(form.email, Role.AUTO_ECOLE.value)
        school = School(school_id=uuid.uuid4().hex, company_name=form.company_name,
                        agrement_number=form.agrement_number, address=form.address.to_address(),
                        admin_account_id=account_id, created_at=now)
        profile = self._new_profile(account_id, Role.AUTO_ECOLE, form.email, form.birth_name, form.first_name, now,
                                    school_id=school.school_id, school_role=SchoolRole.ADMIN,
                                    address=school.address)
        member = Member(account_id=account_id, school_id=school.school_id, school_role=SchoolRole.ADMIN,
                        email=form.email, birth_name=form.birth_name, first_name=form.first_name,
                        status=AccountStatus.PENDING, invited_at=now)
        # The agrément's département rides on the link: the activation counts the school there (statistics).
        link, event = self._activation(profile, "school_admin", {"departement": agrement.departement})
        items = [self.repo.put_profile(profile, link.token_hash), self.repo.lock_email(form.email, account_id),
                 self.repo.bind_agrement(form.agrement_number, school.school_id, now.date()),
                 self.repo.put_school(school), self.repo.put_member(member), self.repo.put_link(link),
                 self.repo.event(event)]
        try:
            self.repo.transact(items)
        except TransactionRefused as refused:
            self.directory.delete_user(account_id)  # nothing of the attempt is kept
            if 1 in refused.failed:
                raise _email_used() from None
            if 2 in refused.failed:  # bound or expired meanwhile: say which
                _check_agrement(self.repo.get_agrement(form.agrement_number), now.date(), check_binding=True)
                raise Conflict("agrement_changed", "L'agrément a changé pendant votre inscription : renvoyez le "
                               "formulaire.") from None
            raise
        return Opened(profile.account_id, profile.email, profile.activation_deadline)

    def sign_up_candidate(self, form: CandidateSignUp) -> "Opened":
        return self._open_candidate(form, kind="candidate")

    def prepare_candidate_for_school(self, form: CandidateForSchool, school_id: str,
                                     request_id: str) -> "PreparedAccount":
        """A school submits a request without mandate for a candidate who has no account: the
        account is opened for them, and ONE email activates it and leads to validating the request.
        The caller commits `items` in the same transaction as the request's submission, and calls
        `undo` when that transaction is refused (the Cognito user cannot be in it)."""
        now = self.clock()
        account_id = self.directory.create_user(form.email, Role.CANDIDAT.value)
        profile = self._new_profile(
            account_id, Role.CANDIDAT, form.email, form.birth_name, form.first_names, now,
            usage_name=form.usage_name, sex=form.sex, birth_date=form.birth_date, birth_place=form.birth_place,
            mobile_phone=form.mobile_phone, address=form.address.to_address())
        link, event = self._activation(profile, "candidate_for_school", {"school_id": school_id,
                                                                          "request_id": request_id})
        items = [self.repo.put_profile(profile, link.token_hash), self.repo.lock_email(profile.email, account_id),
                 self.repo.put_link(link), self.repo.event(event)]
        return PreparedAccount(account_id, items, lambda: self.directory.delete_user(account_id))

    def _open_candidate(self, form: CandidateSignUp, kind: str) -> "Opened":
        now = self.clock()
        self._check_email_free(form.email)
        account_id = self.directory.create_user(form.email, Role.CANDIDAT.value)
        profile = self._new_profile(
            account_id, Role.CANDIDAT, form.email, form.birth_name, form.first_names, now,
            usage_name=form.usage_name, sex=form.sex, birth_date=form.birth_date, birth_place=form.birth_place,
            mobile_phone=form.mobile_phone, address=form.address.to_address())
        link, event = self._activation(profile, kind)
        self._commit_new_account(profile, link, event, [])
        return Opened(profile.account_id, profile.email, profile.activation_deadline)

    def invite_member(self, admin: Profile, form: MemberInvitation) -> "Opened":
        school_id = self._administered_school(admin)
        now = self.clock()
        self._check_email_free(form.email)
        account_id = self.directory.create_user(form.email, Role.AUTO_ECOLE.value)
        profile = self._new_profile(account_id, Role.AUTO_ECOLE, form.email, form.birth_name, form.first_name, now,
                                    school_id=school_id, school_role=SchoolRole.MEMBER)
        member = Member(account_id=account_id, school_id=school_id, school_role=SchoolRole.MEMBER, email=form.email,
                        birth_name=form.birth_name, first_name=form.first_name, status=AccountStatus.PENDING,
                        invited_at=now)
        link, event = self._activation(profile, "school_member", {"inviter": admin.display_name()})
        self._commit_new_account(profile, link, event, [self.repo.put_member(member),
                                                        self.repo.school_is_active(school_id)])
        return Opened(profile.account_id, profile.email, profile.activation_deadline)

    def create_agent(self, form: AgentCreation) -> "Opened":
        now = self.clock()
        self._check_email_free(form.email)
        account_id = self.directory.create_user(form.email, form.role.value)
        profile = self._new_profile(account_id, form.role, form.email, form.birth_name, form.first_name, now,
                                    departement=form.departement, structure_name=form.structure_name)
        link, event = self._activation(profile, "mediator" if form.role is Role.MEDIATEUR else "agent")
        self._commit_new_account(profile, link, event, [])
        return Opened(profile.account_id, profile.email, profile.activation_deadline)

    def _commit_new_account(self, profile: Profile, link: LinkRecord, event: OutboxEvent, extra: list[dict]) -> None:
        items = [self.repo.put_profile(profile, link.token_hash), self.repo.lock_email(profile.email, profile.account_id),
                 self.repo.put_link(link), self.repo.event(event), *extra]
        try:
            self.repo.transact(items)
        except TransactionRefused as refused:
            self.directory.delete_user(profile.account_id)
            if 1 in refused.failed:
                raise _email_used() from None
            if len(items) - 1 in refused.failed and extra:
                raise Conflict("school_closed", "L'espace de cette auto-école est fermé.") from None
            raise

    def _new_profile(self, account_id: str, role: Role, email: str, birth_name: str, first_names: str,
                     now: datetime, **fields: Any) -> Profile:
        return Profile(account_id=account_id, role=role, status=AccountStatus.PENDING, email=email,
                       birth_name=birth_name, first_names=first_names, created_at=now,
                       activation_deadline=now + timedelta(days=ACTIVATION_DAYS), **fields)

    def new_link(self, purpose: links.LinkPurpose, account_id: str, expires: datetime, nonce: str,
                  data: dict[str, Any] | None = None) -> LinkRecord:
        """The stored side of an emailed link: only the hash of the token made from `nonce`."""
        token = links.link_token(self.link_key(), purpose, nonce)
        return LinkRecord(token_hash=links.token_hash(token), purpose=purpose, account_id=account_id,
                          expires_at=int(expires.timestamp()), data=data or {})

    def _activation(self, profile: Profile, kind: str, extra: dict[str, str] | None = None,
                    nonce: str | None = None) -> tuple[LinkRecord, OutboxEvent]:
        nonce = nonce or self.new_nonce()
        assert profile.activation_deadline is not None
        data = {"kind": kind, **(extra or {})}
        link = self.new_link(links.LinkPurpose.ACTIVATION, profile.account_id, profile.activation_deadline, nonce,
                              data)
        event = OutboxEvent(id=uuid.uuid4().hex, type=ACTIVATION_LINK, aggregate_id=profile.account_id,
                            occurred_at=self.clock(), payload={"account_id": profile.account_id, "nonce": nonce,
                                                               "deadline": profile.activation_deadline.isoformat(),
                                                               **data})
        return link, event

    def _check_email_free(self, email: str) -> None:
        if self.repo.account_id_for_email(normalize_email(email)) is not None:
            raise _email_used()

    # --- activation ----------------------------------------------------------------------------

    def activation_preview(self, token: str) -> dict[str, str]:
        link, profile = self._pending_link(token)
        return {"email": mask_email(profile.email), "first_name": profile.first_names, "role": profile.role.value,
                "kind": str(link.data.get("kind", "")), "request_id": str(link.data.get("request_id", ""))}

    def activate(self, token: str, password: str) -> tuple[Profile, dict[str, Any]]:
        """The activated profile, and what the link carried (the request to validate, if any)."""
        link, profile = self._pending_link(token)
        self.directory.set_password(profile.account_id, password)
        now = self.clock()
        try:
            self.repo.transact([*self.repo.activate_items(profile, link.token_hash, now),
                                *self._school_opened(profile, link, now)])
        except TransactionRefused:
            raise LINK_INVALID from None  # followed twice at once: the other one won
        return profile.model_copy(update={"status": AccountStatus.ACTIVE, "activated_at": now}), link.data

    def activate_and_sign_in(self, token: str, password: str) -> tuple[Profile, dict[str, Any], Tokens | None]:
        """Activates, then opens the session of a person who needs no double authentication: the
        emailed link proved the address and the password was just chosen, so asking for it again
        would be a second step the email did not promise. Agents sign in themselves (their double
        authentication is set up at their first sign-in). A sign-in that fails leaves the account
        active: the person signs in on the sign-in page."""
        from chalicelib.domain.errors import DomainError

        profile, data = self.activate(token, password)
        if profile.is_staff:
            return profile, data, None
        try:
            signed = self.directory.sign_in(profile.email, password)
        except DomainError:
            return profile, data, None
        return profile, data, signed if isinstance(signed, Tokens) else None

    def _school_opened(self, profile: Profile, link: LinkRecord, now: datetime) -> list[dict[str, Any]]:
        """A school's administrator activating their account opens the school's account: the
        statistics count it against the agrément's département (issue 9), which the link carries
        (read from the registry for a link made before it did)."""
        if profile.role != Role.AUTO_ECOLE or profile.school_role != SchoolRole.ADMIN or not profile.school_id:
            return []
        departement = link.data.get("departement")
        if not departement:
            school = self.repo.get_school(profile.school_id)
            agrement = self.repo.get_agrement(school.agrement_number) if school else None
            departement = agrement.departement if agrement else None
        return [self.repo.event(OutboxEvent(
            id=uuid.uuid4().hex, type=SCHOOL_ACCOUNT_OPENED, aggregate_id=profile.school_id, occurred_at=now,
            payload={"school_id": profile.school_id, "departement": departement, "at": now.isoformat()}))]

    def _pending_link(self, token: str) -> tuple[LinkRecord, Profile]:
        link = self.valid_link(token, links.LinkPurpose.ACTIVATION)
        profile = self.repo.get_profile(link.account_id)
        if profile is None or profile.status != AccountStatus.PENDING:
            raise LINK_INVALID
        return link, profile

    def request_activation_resend(self, email: str) -> None:
        """Same answer, same work, whether the email has an account or not: the worker decides."""
        self.repo.record_event(self._request_event(ACTIVATION_RESEND_REQUESTED, normalize_email(email)))

    def resend_activation(self, email: str, nonce: str) -> LinkRecord | None:
        """Worker side: a new link (the previous one stops working); None when nothing is pending.
        `nonce` is the request's event id, so a replayed request gives the same link."""
        account_id = self.repo.account_id_for_email(email)
        profile, old_hash = self.repo.get_profile_and_link(account_id) if account_id else (None, None)
        if profile is None or profile.status != AccountStatus.PENDING:
            return None
        previous = self.repo.find_link(old_hash) if old_hash else None
        data = dict(previous.data) if previous else {}  # keeps the request to validate, the inviter...
        kind = str(data.pop("kind", "") or _kind_for(profile))
        now = self.clock()
        profile = profile.model_copy(update={"activation_deadline": now + timedelta(days=ACTIVATION_DAYS)})
        link, _ = self._activation(profile, kind, data, nonce=nonce)
        if old_hash == link.token_hash:
            return link  # this request was already handled: send the same link again
        try:
            self.repo.transact(self.repo.new_activation_link_items(profile.account_id, old_hash or "-", link,
                                                                   profile.activation_deadline))
        except TransactionRefused:
            return None  # activated or purged meanwhile
        return link

    def purge_unactivated(self, out_of_time: Callable[[], bool] | None = None) -> int:
        """Accounts not activated in 7 days are deleted; their email and agrément are free again.
        All that are due, until `out_of_time`."""
        purged = 0
        for account_id in self.repo.pending_before(self.clock()):
            if out_of_time is not None and out_of_time():
                break
            profile, token_hash = self.repo.get_profile_and_link(account_id)
            if profile is None or profile.status != AccountStatus.PENDING:
                continue
            items = [self.repo.delete_pending_profile(account_id),
                     self.repo.release_email(profile.email, account_id)]
            if token_hash:
                items.append(self.repo.drop_link(token_hash))
            if profile.school_id:
                items.append(self.repo.delete_member(profile.school_id, account_id))
                if profile.school_role == SchoolRole.ADMIN:
                    school = self.repo.get_school(profile.school_id)
                    if school is not None:
                        items += [self.repo.delete_school(school.school_id),
                                  self.repo.release_agrement(school.agrement_number, school.school_id)]
            try:
                self.repo.transact(items)
            except TransactionRefused:
                continue  # activated at the last moment
            self.directory.delete_user(account_id)
            purged += 1
        if purged:
            logger.info("unactivated accounts purged", extra={"count": purged})
        return purged

    # --- sessions ------------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> Tokens | MfaChallenge:
        return self.directory.sign_in(normalize_email(email), password)

    def answer_mfa(self, email: str, session: str, code: str) -> Tokens:
        return self.directory.answer_mfa(normalize_email(email), session, code)

    def refresh(self, refresh_token: str) -> Tokens:
        return self.directory.refresh(refresh_token)

    def sign_out(self, profile: Profile) -> None:
        """Every session of the account ends: refresh tokens revoked, access tokens refused."""
        self.directory.sign_out_everywhere(profile.sign_in_name)
        self.repo.set_sessions_revoked(profile.account_id, revocation_second(self.clock()))

    # --- passwords -----------------------------------------------------------------------------

    def request_password_reset(self, email: str) -> None:
        self.repo.record_event(self._request_event(PASSWORD_RESET_REQUESTED, normalize_email(email)))

    def prepare_password_reset(self, email: str, nonce: str) -> tuple[Profile, LinkRecord | None] | None:
        """Worker side: the reset link of an active account (None: say nothing, send nothing; no
        link for an account opened with FranceConnect, which has no password: the email says so)."""
        account_id = self.repo.account_id_for_email(email)
        profile = self.repo.get_profile(account_id) if account_id else None
        if profile is None or profile.status != AccountStatus.ACTIVE:
            return None
        if profile.cognito_username:
            return profile, None
        link = self.new_link(links.LinkPurpose.PASSWORD_RESET, profile.account_id,
                              self.clock() + timedelta(hours=PASSWORD_RESET_HOURS), nonce)
        try:
            self.repo.transact([self.repo.put_link(link)])
        except TransactionRefused:
            pass  # a replay of the same request: the link exists already
        return profile, link

    def reset_password(self, token: str, password: str) -> None:
        link = self.valid_link(token, links.LinkPurpose.PASSWORD_RESET)
        self.directory.set_password(link.account_id, password)
        try:  # the link used up and the old sessions ended together: never one without the other
            self.repo.transact([self.repo.delete_link(link.token_hash),
                                self.repo.sessions_revoked_item(link.account_id, revocation_second(self.clock()))])
        except TransactionRefused:
            raise LINK_INVALID from None
        profile = self.repo.get_profile(link.account_id)
        if profile is not None:
            self.directory.sign_out_everywhere(profile.sign_in_name)

    def change_password(self, access_token: str, current: str, new: str) -> None:
        self.directory.change_password(access_token, current, new)

    def valid_link(self, token: str, purpose: links.LinkPurpose) -> LinkRecord:
        if not links.looks_like_token(token):
            raise LINK_INVALID
        link = self.repo.find_link(links.token_hash(token))
        if link is None or link.purpose != purpose or link.expires_at <= self.clock().timestamp():
            raise LINK_INVALID
        return link

    # --- own data ------------------------------------------------------------------------------

    def request_email_change(self, profile: Profile, new_email: str, password: str) -> str:
        new_email = normalize_email(new_email)
        if new_email == profile.email:
            raise InvalidInput("same_email", "C'est déjà l'adresse de votre compte.",
                               [ErrorDetail(field="new_email", message="Saisissez une autre adresse.")])
        self.directory.check_password(profile.email, password)
        self._check_email_free(new_email)
        nonce = self.new_nonce()
        now = self.clock()
        deadline = now + timedelta(hours=EMAIL_CHANGE_HOURS)
        link = self.new_link(links.LinkPurpose.EMAIL_CHANGE, profile.account_id, deadline, nonce,
                              {"new_email": new_email})
        event = OutboxEvent(id=uuid.uuid4().hex, type=EMAIL_CHANGE_REQUESTED, aggregate_id=profile.account_id,
                            occurred_at=now, payload={"account_id": profile.account_id, "nonce": nonce,
                                                      "new_email": new_email, "deadline": deadline.isoformat()})
        self.repo.transact([self.repo.put_link(link), self.repo.event(event)])
        return mask_email(new_email)

    def confirm_email_change(self, token: str) -> str:
        link = self.valid_link(token, links.LinkPurpose.EMAIL_CHANGE)
        profile = self.repo.get_profile(link.account_id)
        if profile is None or profile.status != AccountStatus.ACTIVE:
            raise LINK_INVALID
        new_email = str(link.data["new_email"])
        event = OutboxEvent(id=uuid.uuid4().hex, type=EMAIL_CHANGED, aggregate_id=profile.account_id,
                            occurred_at=self.clock(), payload={"old_email": profile.email,
                                                               "first_name": profile.first_names,
                                                               "new_email_masked": mask_email(new_email)})
        try:
            self.repo.transact([*self.repo.email_change_items(profile, new_email, link.token_hash),
                                self.repo.event(event)])
        except TransactionRefused as refused:
            if 1 in refused.failed:
                raise _email_used() from None
            raise LINK_INVALID from None
        self.directory.set_email(profile.pool_username, new_email)
        return new_email

    def export(self, profile: Profile) -> dict[str, Any]:
        data: dict[str, Any] = {"generated_at": self.clock().isoformat(),
                                "account": profile.model_dump(mode="json", exclude={"sessions_revoked_at", "version"})}
        if profile.school_id:
            school = self.repo.get_school(profile.school_id)
            data["school"] = school.model_dump(mode="json") if school else None
        requests = self.requests.all_for_account(profile.account_id)
        data["requests"] = [r.model_dump(mode="json") for r in requests]
        # The threads of those requests, with what this account wrote and what it was written.
        # Attachments by name: the files themselves open from the thread, a minute at a time.
        data["messages"] = {r.request_id: [{"from": m.author_label, "at": m.at.isoformat(), "text": m.text,
                                            "attachments": [a.file_name for a in m.attachments]}
                                           for m in self.thread(r.request_id)] for r in requests}
        return data

    def correct(self, profile: Profile, changes: dict[str, Any]) -> Profile:
        updated = profile.model_copy(update={**changes, "version": profile.version + 1})
        try:
            self.repo.transact([self.repo.replace_profile(updated)])
        except TransactionRefused:
            raise Conflict("changed_meanwhile", "Vos données ont été modifiées entre-temps (sur un autre appareil ?) : "
                           "rechargez la page puis refaites la correction.",
                           current=profile.model_dump(mode="json")) from None
        return updated

    def close(self, profile: Profile) -> None:
        if self.requests.count_for_account(profile.account_id):
            raise Conflict("requests_in_progress", "Votre compte ne peut pas être clos tant qu'une demande est en "
                           "cours : attendez sa décision ou annulez-la.")
        items = [self.repo.end_profile(profile, AccountStatus.CLOSED, revocation_second(self.clock())),
                 self.repo.release_email(profile.email, profile.account_id)]
        if profile.school_id:
            school = self.repo.get_school(profile.school_id)
            if profile.school_role == SchoolRole.ADMIN and school is not None:
                others = [m for m in self.repo.list_members(profile.school_id)
                          if m.account_id != profile.account_id and m.status != AccountStatus.REMOVED]
                if others:
                    raise Conflict("school_has_members", "Vous administrez l'espace de l'auto-école : retirez d'abord "
                                   "vos collègues, puis closez votre compte (l'espace de l'auto-école sera fermé).")
                if self.requests.count_for_school(profile.school_id):
                    raise Conflict("requests_in_progress", "L'auto-école a des demandes en cours : le compte ne peut "
                                   "pas être clos avant leur décision.")
                items += [self.repo.close_school(school.school_id),
                          self.repo.release_agrement(school.agrement_number, school.school_id)]
            items.append(self.repo.delete_member(profile.school_id, profile.account_id))
        try:
            self.repo.transact(items)
        except TransactionRefused:
            raise Conflict("changed_meanwhile", "Le compte a changé entre-temps : rechargez la page et réessayez.") from None
        self.directory.delete_user(profile.pool_username)

    # --- school members ------------------------------------------------------------------------

    def members(self, caller: Profile) -> list[Member]:
        if not caller.school_id:
            raise Forbidden("not_a_school_member", "Votre compte n'est rattaché à aucune auto-école.")
        return sorted(self.repo.list_members(caller.school_id), key=lambda m: (m.school_role != SchoolRole.ADMIN,
                                                                               m.invited_at))

    def remove_member(self, admin: Profile, account_id: str) -> None:
        school_id = self._administered_school(admin)
        if account_id == admin.account_id:
            raise Conflict("cannot_remove_self", "Vous ne pouvez pas vous retirer vous-même : l'espace de l'auto-école "
                           "a besoin de son administrateur.")
        member, token_hash = self.repo.get_profile_and_link(account_id)
        if member is None or member.school_id != school_id or member.status in (AccountStatus.REMOVED,
                                                                                 AccountStatus.CLOSED):
            raise NotFound("member_not_found", "Ce collègue ne fait pas partie de votre auto-école.")
        school = self.repo.get_school(school_id)
        now = self.clock()
        event = OutboxEvent(id=uuid.uuid4().hex, type=MEMBER_REMOVED, aggregate_id=account_id, occurred_at=now,
                            payload={"email": member.email, "first_name": member.first_names,
                                     "school_name": school.company_name if school else ""})
        items = [self.repo.end_profile(member, AccountStatus.REMOVED, revocation_second(now)),
                 self.repo.release_email(member.email, account_id), self.repo.delete_member(school_id, account_id),
                 self.repo.event(event)]
        if token_hash:
            items.append(self.repo.drop_link(token_hash))
        try:
            self.repo.transact(items)
        except TransactionRefused:
            raise Conflict("changed_meanwhile", "Ce compte a changé entre-temps : rechargez la liste.") from None
        self.directory.delete_user(account_id)  # its tokens are refused already (profile removed)

    def _administered_school(self, caller: Profile) -> str:
        if not caller.school_id or caller.school_role != SchoolRole.ADMIN:
            raise Forbidden("school_admin_only", "Seul l'administrateur de l'espace de l'auto-école peut gérer ses "
                            "collègues.")
        return caller.school_id

    def disable_agent(self, email: str) -> Profile:
        """An administrator's decision (command line): the agent can no longer sign in, and the
        tokens they hold are refused at once."""
        account_id = self.repo.account_id_for_email(normalize_email(email))
        profile = self.repo.get_profile(account_id) if account_id else None
        if profile is None or profile.role not in CREATED_BY_ADMINISTRATORS:
            raise NotFound("agent_not_found", "Aucun compte d'agent n'a cette adresse.")
        disabled = profile.model_copy(update={"status": AccountStatus.DISABLED, "version": profile.version + 1,
                                              "sessions_revoked_at": revocation_second(self.clock())})
        self.directory.disable_user(profile.account_id)
        self.directory.sign_out_everywhere(profile.email)
        try:
            self.repo.transact([self.repo.replace_profile(disabled)])
        except TransactionRefused:
            raise Conflict("changed_meanwhile", "Le compte a changé entre-temps : relancez la commande.") from None
        return disabled

    # --- agrément registry ---------------------------------------------------------------------

    def import_agrements(self, agrements: list[Agrement]) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for agrement in agrements:
            counts[self.repo.upsert_agrement(agrement)] += 1
        return counts

    def _request_event(self, event_type: str, email: str) -> OutboxEvent:
        return OutboxEvent(id=uuid.uuid4().hex, type=event_type, aggregate_id="request", occurred_at=self.clock(),
                           payload={"email": email})


@dataclass(frozen=True)
class PreparedAccount:
    account_id: str
    items: list[dict[str, Any]]  # transaction items: profile, email lock, link, activation event
    undo: Callable[[], None]


@dataclass(frozen=True)
class Opened:
    account_id: str
    email: str
    activation_deadline: datetime | None

    def message(self) -> str:
        return (f"Le compte est créé. Un courriel d'activation vient d'être envoyé à {mask_email(self.email)} : "
                f"suivez le lien qu'il contient dans les {ACTIVATION_DAYS} jours pour choisir le mot de passe.")

    def invitation_message(self) -> str:
        return (f"Invitation envoyée à {mask_email(self.email)} : votre collègue a {ACTIVATION_DAYS} jours pour "
                "activer son compte avec le lien reçu. Il apparaît « En attente d'activation » d'ici là.")


def _kind_for(profile: Profile) -> str:
    if profile.role == Role.AUTO_ECOLE:
        return "school_admin" if profile.school_role == SchoolRole.ADMIN else "school_member"
    return "candidate" if profile.role == Role.CANDIDAT else "agent"


def _email_used() -> Conflict:
    return Conflict("email_already_used", EMAIL_ALREADY_USED_MESSAGE,
                    [ErrorDetail(field="email", code="email_already_used", message=EMAIL_ALREADY_USED_MESSAGE)])


def _check_agrement(agrement: Agrement | None, today: date, check_binding: bool = True) -> None:
    if agrement is None:
        raise InvalidInput("agrement_unknown", AGREMENT_UNKNOWN, [
            ErrorDetail(field="agrement_number", code="agrement_unknown", message=AGREMENT_UNKNOWN)])
    if not agrement.is_valid_on(today):
        raise InvalidInput("agrement_expired", AGREMENT_EXPIRED, [
            ErrorDetail(field="agrement_number", code="agrement_expired", message=AGREMENT_EXPIRED)])
    if check_binding and agrement.bound_school_id:
        raise Conflict("agrement_already_bound", AGREMENT_BOUND, [
            ErrorDetail(field="agrement_number", code="agrement_already_bound", message=AGREMENT_BOUND)])


AGREMENT_UNKNOWN = ("Ce numéro d'agrément ne figure pas au registre de la préfecture : vérifiez-le sur votre arrêté "
                    "d'agrément ; s'il est exact, contactez la préfecture qui l'a délivré.")
AGREMENT_EXPIRED = ("Cet agrément n'est pas en cours de validité : un compte ne peut être ouvert qu'avec un agrément "
                    "valide. Contactez la préfecture pour son renouvellement.")
AGREMENT_BOUND = ("Ce numéro d'agrément est déjà utilisé par un autre compte d'auto-école. S'il s'agit d'une erreur, "
                  "signalez-le aux délégués de la préfecture, qui feront rectifier le rattachement.")
