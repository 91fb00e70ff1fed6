"""Permis en ligne: creates the Chalice app and registers middleware and blueprints. Nothing else."""
import gc

# A cold start allocates many long-lived objects (modules, models, route tables) and no garbage:
# the cyclic collector's passes over them while they load cost about 8 ms of the first response
# (measured A/B, 30 fresh processes each). It is paused while the app is built, then resumes.
gc.disable()

from chalice import Chalice  # noqa: E402

from chalicelib.api import auth, middleware, routing  # noqa: E402
from chalicelib.workers import support as support_worker  # noqa: E402
from chalicelib.workers import licence as licence_worker  # noqa: E402
from chalicelib.workers import (attestations, documents, emails, identity, instruction, notifications,  # noqa: E402
                                outbox)
from chalicelib.workers import requests as request_workers  # noqa: E402
from chalicelib.workers import appointments as appointment_workers  # noqa: E402
from chalicelib.workers import statistics as statistics_worker  # noqa: E402
from chalicelib.resources import runs_deployed  # noqa: E402

app = Chalice(app_name="permis")

# Middleware first: Chalice binds it to a blueprint's handlers when the blueprint is registered.
middleware.register(app)

# The authorizer's blueprint before the routes that use it. The routes come from the index of
# chalicelib.api.routing: each route module is imported when one of its routes is first called.
app.register_blueprint(auth.blueprint)
routing.register(app)
for blueprint in (outbox.blueprint, emails.blueprint, documents.blueprint,
                  identity.blueprint, request_workers.blueprint, attestations.blueprint,
                  instruction.blueprint, licence_worker.blueprint, notifications.blueprint,
                  support_worker.blueprint, appointment_workers.blueprint, statistics_worker.blueprint):
    app.register_blueprint(blueprint)

# The demo resource (an anonymous write, its queue and worker) runs on moto only: never deployed
# (its route is registered by chalicelib.api.routing on the same condition).
if not runs_deployed():
    from chalicelib.workers import demo as demo_worker

    app.register_blueprint(demo_worker.blueprint)

# Lambda reaches every function through this module: infra/functions.py sets each handler to
# `app.<function>`, never to the blueprint's module, because importing this module is what binds
# the middleware (correlation ids, logs, metrics, traces) to the handlers, as the local pump's
# calls through app.handler_map do.
FUNCTIONS: dict = {source.name: app.handler_map[source.name] for source in
                   [*app.event_sources, *app.pure_lambda_functions, *app.builtin_auth_handlers]}
assert not set(FUNCTIONS) & set(globals()), "a function is named like a name of app.py"
globals().update(FUNCTIONS)

gc.enable()
