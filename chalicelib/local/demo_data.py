"""Demo data for `make run`: the prefecture's agrément registry (the seed's 365 agréments of the
Rhône), one active account per role opened through the same services as real ones, and demo
messages. Some agréments are left free so a newcomer can create a school account."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from chalicelib.domain import links
from chalicelib.domain.accounts import (Agrement, AgentCreation, CandidateSignUp, Role, SchoolSignUp)
from chalicelib.services import demo as demo_service
from chalicelib.services.accounts import Accounts

DEMO_PASSWORD = "demo-permis-en-ligne-2026"  # local only; 12+ characters, as the pool demands
DEMO_DOMAIN = "demo.permis-en-ligne.example.fr"
REGISTRY_SIZE = 365  # the seed: "L'application RAFAEL recensant 365 agréments"
DEMO_SCHOOL_AGREMENT = "E0069000001"
FREE_AGREMENT = "E0069000002"  # for the newcomer's own school account


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


DEMO_LOGINS = tuple(DemoLogin(role.value, f"{role.value}@{DEMO_DOMAIN}") for role in Role)
DEMO_MESSAGES = ("Bienvenue sur Permis en ligne", "Message traité par le worker de démonstration")
_ADDRESS = {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002", "commune": "69382"}


def demo_registry() -> list[Agrement]:
    return [Agrement(number=f"E0069{n:06d}", name=f"Auto-école du Rhône n° {n}",
                     address=f"{n} rue de la République, 69002 Lyon", departement="69",
                     valid_from=date(2015, 1, 1), valid_until=date(2030, 12, 31)) for n in range(1, REGISTRY_SIZE + 1)]


class ActiveAccounts:
    """Opens accounts and activates them at once, computing the emailed link from its nonce (only
    demo data and tests do this; people follow the link in their email)."""

    def __init__(self, accounts: Accounts):
        self._nonces: list[str] = []
        self.accounts = Accounts(accounts.repo, accounts.directory, accounts.link_key, accounts.requests,
                                 new_nonce=self._nonce)

    def _nonce(self) -> str:
        self._nonces.append(links.new_nonce())
        return self._nonces[-1]

    def open(self, opener: Callable[[Accounts], Any], password: str = DEMO_PASSWORD) -> str:
        opened = opener(self.accounts)
        token = links.link_token(self.accounts.link_key(), links.LinkPurpose.ACTIVATION, self._nonces[-1])
        self.accounts.activate(token, password)
        return opened.account_id


def load(accounts: Accounts, repository: demo_service.DemoRepository) -> None:
    accounts.import_agrements(demo_registry())
    active = ActiveAccounts(accounts)
    opened: dict[Role, str] = {}
    for login in DEMO_LOGINS:
        role = Role(login.role)
        if role == Role.AUTO_ECOLE:
            opened[role] = active.open(lambda a: a.sign_up_school(SchoolSignUp.model_validate({
                "birth_name": "Moreau", "first_name": "Sophie", "email": login.email,
                "company_name": "Auto-école de la Part-Dieu", "agrement_number": DEMO_SCHOOL_AGREMENT,
                "address": _ADDRESS, "altcha": "démo", "terms_accepted": True})))
        elif role == Role.CANDIDAT:
            opened[role] = active.open(lambda a: a.sign_up_candidate(CandidateSignUp.model_validate({
                "birth_name": "Petit", "first_names": "Lucas Jean", "sex": "M", "birth_date": "2008-05-14",
                "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}, "email": login.email,
                "mobile_phone": "06 12 34 56 78", "address": _ADDRESS, "altcha": "démo", "terms_accepted": True})))
        else:
            account_id = active.open(lambda a: a.create_agent(AgentCreation(
                role=role, email=login.email, birth_name="Agent", first_name=role.value.split("-")[-1].capitalize(),
                departement=None if role == Role.INSTRUCTEUR_CERT else "69",
                structure_name="France Services de Villeurbanne" if role == Role.MEDIATEUR else None)))
            if role == Role.PREFECTURE:
                publish_demo_slots(accounts.repo.get_profile(account_id))
    for text in DEMO_MESSAGES:
        demo_service.submit_message(repository, text)
    support_tickets(accounts, opened[Role.AUTO_ECOLE], opened[Role.CANDIDAT])
    # The prefecture's statistics: a simulated history of the last months (issue 9), counted by the
    # statistics worker as the stack runs.
    from chalicelib.domain.dates import paris_day
    from chalicelib.local import statistics_demo
    from chalicelib.services.accounts import utc_now

    statistics_demo.load_demo_history(paris_day(utc_now()))


def support_tickets(accounts: Accounts, school_account: str, candidate_account: str) -> None:
    """Messages to the support of the Rhône (69), for the demo prefecture's administrator to answer:
    one opened six days ago (flagged "Bientôt 7 jours"), one of someone not signed in, one recent."""
    from datetime import datetime, timedelta, timezone

    from chalicelib.adapters import wiring
    from chalicelib.domain.support import AnonymousTicketInput, SignedInTicketInput
    from chalicelib.services.support import Support

    def at(days_ago: float) -> Support:
        moment = datetime.now(timezone.utc) - timedelta(days=days_ago)
        return Support(wiring.support_repository(), accounts.requests, accounts.repo, clock=lambda: moment)

    school, candidate = accounts.repo.get_profile(school_account), accounts.repo.get_profile(candidate_account)
    at(6.2).open_signed_in(school, SignedInTicketInput(
        topic="impression-attestation", subject="L'attestation ne s'imprime pas en recto verso",
        message="Bonjour, l'attestation d'inscription de notre élève sort sur deux feuilles au lieu d'une seule "
                "feuille recto verso. Comment faire ?"))
    at(2).open_anonymous(AnonymousTicketInput(
        profile="autre", topic="compte", subject="Je n'arrive pas à créer le compte de mon fils",
        message="Bonjour, l'adresse électronique de mon fils est refusée à la création de son compte candidat : "
                "elle serait déjà utilisée. Que faire ?", email=f"parent@{DEMO_DOMAIN}", departement="69",
        altcha="démo"))
    at(0.05).open_signed_in(candidate, SignedInTicketInput(
        topic="demande", subject="Ma demande est en cours d'instruction depuis longtemps",
        message="Bonjour, ma demande d'inscription est au statut « En cours d'instruction » depuis trois "
                "semaines. Est-ce normal ?"))


DEMO_SLOT_PLACE = "Préfecture du Rhône, 106 rue Pierre Corneille, 69003 Lyon (accueil des auto-écoles)"


def publish_demo_slots(admin) -> None:
    """Appointment slots (issue 9) the demo prefecture administrator publishes in the Rhône for the
    coming working days, so the demo school can book one."""
    from datetime import timedelta

    from chalicelib.adapters import wiring
    from chalicelib.domain.appointments import SlotInput
    from chalicelib.domain.dates import paris_day
    from chalicelib.services.appointments import utc_now

    day, published = paris_day(utc_now()), 0
    while published < 4:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue  # the prefecture receives on working days
        for start, capacity in (("09:30", 3), ("14:00", 2)):
            wiring.appointments().publish(admin, SlotInput(date=day, start_time=start, duration_minutes=45,
                                                           place=DEMO_SLOT_PLACE, capacity=capacity))
        published += 1
