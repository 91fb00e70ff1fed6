"""Work the in-process tests would otherwise redo for each of their ~1,000 fresh moto accounts, done once
per process instead, with the same results.

- botocore parses its service models (JSON, tens of milliseconds a service) once per session, and each
  test makes new sessions (provisioning, then the app's clients after `reset_clients`): one loader is
  shared by every session of the process. The files it reads do not change during a run.
- moto's Cognito imports its one fixed signing key (jwks-private.json) for every user pool, which
  recovers the RSA primes (about 0.2 s): the imported key is kept.
- moto's KMS gives every key a new RSA-2048 private key, even a symmetric key that never uses it
  (0.1 to 0.2 s each): a symmetric key gets one generated once. Asymmetric keys still get their own.
- boto3 builds a client in 5 to 40 ms (its event handlers copied, its methods generated), and each
  test's provisioning and app made a dozen: a client does not depend on the moto account behind it
  (the mock's fake credentials are the same every time), so the provisioning's clients are made once
  per process, and the app's survive from one test to the next (tests/conftest.py's `aws`) unless a
  test made its own with hooks (it calls `reset_clients`).
- moto's transactions copy the whole table to roll back: the local stack's item-level rollback
  (chalicelib/local/moto_speedups.py, same outcome, tested there) is used here too, so the tests run
  against the moto `make run` runs.

Tests only: `make run`'s moto is started once and pays these costs once."""
from __future__ import annotations

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _share_botocore_loader()
    _keep_cognito_signing_key()
    _one_unused_key_for_symmetric_kms_keys()
    _provision_with_clients_made_once()
    from chalicelib.local import moto_speedups

    moto_speedups.install()


def _share_botocore_loader() -> None:
    import botocore.loaders
    import botocore.session

    loader = botocore.loaders.create_loader()

    def register_shared_loader(session):
        session._components.lazy_register_component("data_loader", lambda: loader)

    botocore.session.Session._register_data_loader = register_shared_loader


def _keep_cognito_signing_key() -> None:
    import json
    import types

    import moto.cognitoidp.models as cognito

    original = cognito.jwk.RSAKey.import_key
    imported: dict[str, object] = {}

    def import_key(document):
        text = json.dumps(document, sort_keys=True)
        if text not in imported:
            imported[text] = original(document)
        return imported[text]

    # moto's user pools use the module's `jwk` for this one call only (cognitoidp/models.py).
    cognito.jwk = types.SimpleNamespace(RSAKey=types.SimpleNamespace(import_key=import_key))


def _one_unused_key_for_symmetric_kms_keys() -> None:
    import moto.kms.models as kms_models

    original = kms_models.generate_private_key
    unused = original("SYMMETRIC_DEFAULT")

    def generate_private_key(key_spec: str):
        return unused if key_spec == "SYMMETRIC_DEFAULT" else original(key_spec)

    kms_models.generate_private_key = generate_private_key


def _provision_with_clients_made_once() -> None:
    import functools

    from chalicelib.local import provision
    from chalicelib.resources import current_region

    original = provision._client_factory
    factories: dict[tuple, object] = {}

    def client_factory(endpoint_url):
        key = (endpoint_url, current_region())
        if key not in factories:
            factories[key] = functools.cache(original(endpoint_url))
        return factories[key]

    provision._client_factory = client_factory
