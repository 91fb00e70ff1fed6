"""Permis en ligne: creates the Chalice app and registers middleware and blueprints. Nothing else."""
import gc

# A cold start allocates many long-lived objects (modules, models, route tables) and no garbage:
# the cyclic collector's passes over them while they load cost about 8 ms of the first response
# (measured A/B, 30 fresh processes each). It is paused while the app is built, then resumes.
gc.disable()

from chalice import Chalice  # noqa: E402

from chalicelib.api import (accounts, alerts, auth, demo, exams, health, licence, me, middleware, openapi, requests,
                            school, sessions, staff, statistics, tracking, verification)  # noqa: E402
from chalicelib.api import support  # noqa: E402
from chalicelib.workers import support as support_worker  # noqa: E402
from chalicelib.api import mediation  # noqa: E402
from chalicelib.workers import licence as licence_worker  # noqa: E402
from chalicelib.workers import demo as demo_worker  # noqa: E402
from chalicelib.workers import (attestations, documents, emails, identity, instruction, notifications,  # noqa: E402
                                outbox)
from chalicelib.workers import requests as request_workers  # noqa: E402
from chalicelib.api import appointments  # noqa: E402
from chalicelib.workers import appointments as appointment_workers  # noqa: E402
from chalicelib.workers import statistics as statistics_worker  # noqa: E402

app = Chalice(app_name="permis")

# Middleware first: Chalice binds it to a blueprint's handlers when the blueprint is registered.
middleware.register(app)

# The authorizer's blueprint before the routes that use it.
for blueprint in (auth.blueprint, health.blueprint, openapi.blueprint, accounts.blueprint, sessions.blueprint,
                  me.blueprint, school.blueprint, requests.blueprint, staff.blueprint, exams.blueprint,
                  tracking.blueprint, verification.blueprint, demo.blueprint, alerts.blueprint,
                  outbox.blueprint, demo_worker.blueprint, emails.blueprint, documents.blueprint,
                  identity.blueprint, request_workers.blueprint, attestations.blueprint,
                  instruction.blueprint, licence.blueprint, licence_worker.blueprint, notifications.blueprint,
                  support.blueprint, support_worker.blueprint,
                  mediation.blueprint, appointments.blueprint, appointment_workers.blueprint,
                  statistics.blueprint, statistics_worker.blueprint):
    app.register_blueprint(blueprint)

gc.enable()
