"""Digital mediators' own route (France Services, "points numériques"): the letters to print and
post to the people they filed for who have neither email nor mobile. Filing itself goes through
the requests' routes, with the mediation mandate (chalicelib/api/requests.py)."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("mediation",)


class LetterView(Model):
    request_id: str
    recipient: str = Field(description="La personne accompagnée, comme à l'état civil de la demande")
    address: str
    text: str = Field(description="Le courrier à imprimer")
    at: datetime


class Letters(Model):
    letters: list[LetterView]


@route(blueprint, "/mediation/letters", summary="Les courriers à envoyer aux personnes sans courriel ni portable "
       "(les plus récents d'abord)", tags=TAGS, response_model=Letters, roles=(Role.MEDIATEUR.value,),
       description="Une nouvelle d'une demande déposée avec le médiateur (validation, complément, rejet, titre) pour "
                   "une personne qui n'a ni courriel ni portable : le médiateur l'imprime et la poste.")
def letters(caller: Profile) -> Letters:
    return Letters(letters=[LetterView(request_id=letter["request_id"], recipient=letter["recipient"],
                                       address=letter["address"], text=letter["text"],
                                       at=datetime.fromisoformat(letter["at"]))
                            for letter in wiring.requests_repository().letters(caller.account_id)])
