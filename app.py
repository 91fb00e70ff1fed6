"""Permis en ligne: creates the Chalice app and registers middleware and blueprints. Nothing else."""
from chalice import Chalice

from chalicelib.api import accounts, auth, demo, health, me, middleware, openapi, requests, school, sessions
from chalicelib.workers import demo as demo_worker
from chalicelib.workers import documents, emails, identity, outbox
from chalicelib.workers import requests as request_workers

app = Chalice(app_name="permis")

# Middleware first: Chalice binds it to a blueprint's handlers when the blueprint is registered.
middleware.register(app)

# The authorizer's blueprint before the routes that use it.
for blueprint in (auth.blueprint, health.blueprint, openapi.blueprint, accounts.blueprint, sessions.blueprint,
                  me.blueprint, school.blueprint, requests.blueprint, demo.blueprint,
                  outbox.blueprint, demo_worker.blueprint, emails.blueprint, documents.blueprint,
                  identity.blueprint, request_workers.blueprint):
    app.register_blueprint(blueprint)
