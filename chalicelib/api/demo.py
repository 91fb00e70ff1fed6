"""Demo resource: create a message, read it back while the worker processes it."""
from __future__ import annotations


from chalicelib.adapters import wiring
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.demo import DemoMessage, DemoMessageInput
from chalicelib.services import demo as demo_service

blueprint = Routes(__name__)


@route(blueprint, "/demo/messages", method="POST", summary="Déposer un message de démonstration",
       tags=("démonstration",), request_model=DemoMessageInput, response_model=DemoMessage, status=201,
       rate_limit="public", roles=PUBLIC,  # anonymous write
       description="Le message est enregistré avec son événement ; un worker le traite ensuite. "
                   "Un texte contenant « poison » échoue toujours et finit dans la file des messages en échec.")
def create_demo_message(body: DemoMessageInput) -> DemoMessage:
    return demo_service.submit_message(wiring.demo_repository(), body.text)


@route(blueprint, "/demo/messages/{message_id}", summary="Lire un message de démonstration",
       tags=("démonstration",), response_model=DemoMessage, errors=(404,), roles=PUBLIC)
def get_demo_message(message_id: str) -> DemoMessage:
    return demo_service.get_message(wiring.demo_repository(), message_id)
