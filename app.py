"""Permis en ligne: creates the Chalice app and registers middleware and blueprints. Nothing else."""
from chalice import Chalice

from chalicelib.api import demo, health, middleware, openapi
from chalicelib.workers import demo as demo_worker
from chalicelib.workers import identity
from chalicelib.workers import outbox

app = Chalice(app_name="permis")

# Middleware first: Chalice binds it to a blueprint's handlers when the blueprint is registered.
middleware.register(app)

for blueprint in (health.blueprint, openapi.blueprint, demo.blueprint, outbox.blueprint, demo_worker.blueprint,
                  identity.blueprint):
    app.register_blueprint(blueprint)
