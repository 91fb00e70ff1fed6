"""A driving school's space: its members (several workstations and employees). The school's
first account administers it: invites colleagues (same activation path) and removes them."""
from __future__ import annotations

from datetime import datetime


from chalicelib.domain.base import Model
from chalicelib.adapters import wiring
from chalicelib.api.accounts import Accepted, AccountOpened, _opened
from chalicelib.api.http import Routes, route
from chalicelib.domain.accounts import STATUS_LABELS, MemberInvitation, Profile, Role, mask_email

blueprint = Routes(__name__)
TAGS = ("auto-école",)
SCHOOL = (Role.AUTO_ECOLE.value,)


class MemberView(Model):
    account_id: str
    first_name: str
    birth_name: str
    email: str
    school_role: str
    status: str
    status_label: str
    invited_at: datetime


class Members(Model):
    school_id: str
    company_name: str
    members: list[MemberView]


@route(blueprint, "/school/members", summary="Les membres de mon auto-école", tags=TAGS, response_model=Members,
       roles=SCHOOL)
def members(caller: Profile) -> Members:
    accounts = wiring.accounts()
    listed = accounts.members(caller)
    school = accounts.repo.get_school(caller.school_id or "")
    return Members(school_id=caller.school_id or "", company_name=school.company_name if school else "", members=[
        MemberView(account_id=m.account_id, first_name=m.first_name, birth_name=m.birth_name,
                   email=m.email if caller.school_role == "admin" or m.account_id == caller.account_id
                   else mask_email(m.email),
                   school_role=m.school_role.value, status=m.status.value, status_label=STATUS_LABELS[m.status],
                   invited_at=m.invited_at) for m in listed])


@route(blueprint, "/school/members", method="POST", summary="Inviter un collègue", tags=TAGS,
       request_model=MemberInvitation, response_model=AccountOpened, status=201, errors=(409,), roles=SCHOOL,
       description="Réservé à l'administrateur de l'espace. Le collègue reçoit un courriel d'activation.")
def invite(caller: Profile, body: MemberInvitation) -> AccountOpened:
    opened = wiring.accounts().invite_member(caller, body)
    return _opened(opened).model_copy(update={"message": opened.invitation_message()})


@route(blueprint, "/school/members/{account_id}", method="DELETE", summary="Retirer un collègue", tags=TAGS,
       response_model=Accepted, errors=(404, 409), roles=SCHOOL,
       description="Réservé à l'administrateur. Le collègue perd l'accès immédiatement, même avec une session ouverte.")
def remove(caller: Profile, account_id: str) -> Accepted:
    wiring.accounts().remove_member(caller, account_id)
    return Accepted(message="Ce collègue n'a plus accès à l'espace de l'auto-école.")
