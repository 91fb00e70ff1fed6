"""Alerts on a request, for anyone with its number (the candidate's family, a school's secretary):
subscribe an email address or a mobile phone, confirm it with the code sent there, unsubscribe by
the link in every alert. Public, anti-robot checked and rate limited; the subscription's answer
says nothing about whether the number exists."""
from __future__ import annotations


from chalicelib.adapters import wiring
from chalicelib.api.accounts import Accepted, _check_antirobot
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.alerts import CODE_VALIDITY, MAX_CODE_ATTEMPTS, ConfirmInput, SubscribeInput, UnsubscribeInput
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("alertes",)
MINUTES = int(CODE_VALIDITY.total_seconds() // 60)


class Confirmed(Model):
    request_id: str
    channel: str
    message: str


@route(blueprint, "/alerts/subscriptions", method="POST", summary="S'abonner aux alertes d'une demande", tags=TAGS,
       request_model=SubscribeInput, response_model=Accepted, status=202, roles=PUBLIC, rate_limit="public",
       description="Numéro de la demande, canal (email ou sms) et adresse. La réponse est la même que le numéro "
                   "corresponde à une demande déposée ou non ; s'il y en a une, un code à 6 chiffres (valable "
                   f"{MINUTES} minutes) est envoyé à l'adresse. Rien n'est envoyé avant sa confirmation.")
def subscribe(body: SubscribeInput) -> Accepted:
    body.normalized_address()  # an invalid address is refused before the anti-robot proof is spent
    _check_antirobot(body.altcha)
    wiring.alerts().subscribe(body)
    where = "cette adresse" if body.channel == "email" else "ce numéro"
    return Accepted(message=f"Si ce numéro correspond à une demande déposée, un code de confirmation vient d'être "
                            f"envoyé à {where}. Saisissez-le dans les {MINUTES} minutes pour recevoir les alertes.")


@route(blueprint, "/alerts/confirmation", method="POST", tags=TAGS,
       summary="Confirmer un abonnement aux alertes avec le code reçu", request_model=ConfirmInput,
       response_model=Confirmed, errors=(429,), roles=PUBLIC, rate_limit="public",
       description=f"Un code faux ou expiré est refusé (422) ; après {MAX_CODE_ATTEMPTS} essais faux, le code ne "
                   "fonctionne plus (429) : il faut s'abonner de nouveau.")
def confirm(body: ConfirmInput) -> Confirmed:
    subscription = wiring.alerts().confirm(body, body.code)
    where = "cette adresse" if body.channel == "email" else "ce numéro"
    return Confirmed(request_id=subscription.request_id, channel=subscription.channel.value,
                     message=f"C'est confirmé : {where} recevra les alertes de la demande n° "
                             f"{subscription.request_id}. Chaque alerte contient un lien pour se désabonner.")


@route(blueprint, "/alerts/unsubscribe", method="POST", summary="Se désabonner des alertes (lien reçu dans une alerte)",
       tags=TAGS, request_model=UnsubscribeInput, response_model=Accepted, errors=(404,), roles=PUBLIC,
       rate_limit="public")
def unsubscribe(body: UnsubscribeInput) -> Accepted:
    wiring.alerts().unsubscribe(body.token)
    return Accepted(message="Vous êtes désabonné : les alertes de cette demande ne vous seront plus envoyées.")
