"""The site's pages, assembled from templates: web/pages/<page>.html (one page: its title, menu key,
scripts and content) extends web/gabarits/cadre.html (the frame: head, header, footer, display
settings) and includes the shared fieldsets of web/gabarits/. Jinja2 because it is the templating
tool the Python world maintains and knows (Flask's, Ansible's): inheritance for the frame, includes
and macros for the fieldsets, autoescaping, and nothing to run in the browser.

The same rendering serves `make run` (chalicelib/local/web_server.py keeps the pages in memory) and
`make package` (infra/site.py writes them into the deployed site), so what is tested is what ships.

    python -m infra.pages --out build/   # writes the rendered pages, to read them"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEB_DIR = PROJECT_DIR / "web"
PAGES_DIR = WEB_DIR / "pages"
TEMPLATES_DIR = WEB_DIR / "gabarits"
# Pages of `make run` only (the local mailbox): never deployed.
LOCAL_ONLY = frozenset({"boite-mail.html"})
# web/'s own files served and deployed as they are: its scripts and styles (not the templates).
STATIC_SUFFIXES = (".js", ".css")
# The template whose macros every page may call without an import line (the shared fields).
SHARED_MACROS = "champs.html"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(PAGES_DIR), str(TEMPLATES_DIR)]),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # What the pages state about the code (context()), for the pages and the macros alike.
    env.globals.update(context())
    # The shared fields (gabarits/champs.html), callable from every page without an import line.
    shared = env.get_template(SHARED_MACROS).module
    env.globals.update({name: value for name, value in vars(shared).items() if isinstance(value, jinja2.runtime.Macro)})
    return env


def page_names() -> list[str]:
    return sorted(path.name for path in PAGES_DIR.glob("*.html"))


def context() -> dict[str, Any]:
    """What the pages may state about the code: the retention periods it enforces, in days (TTLs and
    S3 lifecycle rules; donnees-personnelles.html), the hosting region, the axe-core version of the
    browser tests and the state of conformity (accessibilite.html, the footer), the départements
    (contact.html), Vox usagers' address. Read from the pure modules that enforce them (no AWS
    client), so a retention changed in the code changes the page."""
    from chalicelib import resources
    from chalicelib.domain import accounts, alerts, exams, geography, messages, requests, support
    from chalicelib.web_policy import THEME_SCRIPT
    from infra.stages import STAGES

    bucket = resources.CATALOGUE.bucket("documents")
    files = {rule.prefix: rule.days for rule in bucket.retention}
    queues = [*resources.CATALOGUE.queues, *resources.CATALOGUE.queue_families]
    return {
        "retention_days": {
            "unactivated_account": accounts.ACTIVATION_DAYS, "draft": requests.DRAFT_RETENTION_DAYS,
            "upload": files[resources.UPLOADS_PREFIX], "document": files[resources.CHECKED_PREFIX],
            "receipt": files[resources.RECEIPTS_PREFIX], "attestation": files[resources.ATTESTATIONS_PREFIX],
            "agent_dossier": files[resources.DOSSIERS_PREFIX], "replaced_file": bucket.noncurrent_version_days,
            "pending_alert": alerts.PENDING_RETENTION.days, "alert": alerts.ACTIVE_RETENTION.days,
            "message": messages.MESSAGE_RETENTION.days, "unsent_attachment": messages.UNSENT_ATTACHMENT_RETENTION.days,
            "answered_ticket": support.ANSWERED_RETENTION.days, "convocation": exams.CONVOCATION_RETENTION_DAYS,
            "queued_message": max(max(q.message_retention_seconds, q.dead_letter_retention_seconds)
                                  for q in queues) // 86400,
            "logs": STAGES["prod"].log_retention_days,
        },
        # The RGAA's wording: "partiellement conforme" needs an audit with at least half the criteria
        # met; none has been made (accessibilite.html says what the tests check instead).
        "accessibility_state": "non conforme",
        # Vox usagers' form for this procedure ("Je donne mon avis"): 0000 stands for the démarche's
        # number, given when it is registered on Services Publics+ (README, "Not done yet").
        "feedback_url": "https://voxusagers.numerique.gouv.fr/Demarches/0000?&view-mode=formulaire-avis&nd_source=button",
        "hosting_region": STAGES["prod"].region,
        # The theme applied before the first paint (gabarits/cadre.html), allowed by its hash.
        "theme_script": markupsafe.Markup(THEME_SCRIPT),
        # The départements the API knows (contact.html's list): the same as the domain's.
        "departements": geography.DEPARTEMENTS,
        # The anti-robot widget's texts (gabarits/champs.html antirobot), in French.
        "altcha_strings": json.dumps(ALTCHA_STRINGS, ensure_ascii=False),
        "departement_options": [(code, f"{name} ({code})") for code, name in geography.DEPARTEMENTS.items()],
        "axe_core_version": json.loads((PROJECT_DIR / "package.json").read_text(encoding="utf-8"))
                                ["devDependencies"]["axe-core"],
    }


ALTCHA_STRINGS = {
    "label": "Je ne suis pas un robot", "verifying": "Vérification en cours…", "verified": "Vérification réussie",
    "error": "La vérification n'a pas abouti : cochez de nouveau la case.",
    "expired": "La vérification a expiré : cochez de nouveau la case.",
    "verificationRequired": "Cochez la case « Je ne suis pas un robot ».",
    "waitAlert": "Vérification en cours : patientez quelques secondes.", "loading": "Chargement…",
    "ariaLinkLabel": "ALTCHA", "footer": "",
}


def render_pages(*, local: bool) -> dict[str, bytes]:
    """Every page, rendered: {"connexion.html": b"<!doctype html>..."}; the local-only pages when
    `local`."""
    env = environment()
    return {name: env.get_template(name).render().encode("utf-8")
            for name in page_names() if local or name not in LOCAL_ONLY}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    for name, content in render_pages(local=True).items():
        (out / name).write_bytes(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
