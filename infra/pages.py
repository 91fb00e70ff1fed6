"""The site's pages, assembled from templates: web/pages/<page>.html (one page: its title, menu key,
scripts and content) extends web/gabarits/cadre.html (the frame: head, header, footer, display
settings) and includes the shared fieldsets of web/gabarits/. Jinja2 because it is the templating
tool the Python world maintains and knows (Flask's, Ansible's): inheritance for the frame, includes
and macros for the fieldsets, autoescaping, and nothing to run in the browser.

The same rendering serves `make run` (chalicelib/local/web_server.py keeps the pages in memory) and
`make package` (infra/site.py writes them into the deployed site), so what is tested is what ships.
It also builds what the pages load from web/'s sources, in as few files as a first visit can wait
for (each is a request the page's load event waits for; the local server and any HTTP/1.1 browser
fetch six at a time): one stylesheet for every page (STYLESHEET: icones.css with its icons inlined,
then style.css) and one script per page (bundles/<page>.js: commun.js, then the page's own scripts
in the order it lists them; a page with none loads commun.js alone, cached across pages).

    python -m infra.pages --out build/   # writes the rendered pages and what they load, to read them"""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from infra import icons

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
# What the pages load, built here (module docstring): the stylesheet every page links after the DSFR's,
# from these sources in this order; the script every page starts with; the folder of the pages' scripts.
STYLESHEET = "site.css"
STYLESHEET_SOURCES = ("icones.css", "style.css")
COMMON_SCRIPT = "commun.js"
BUNDLES_DIR = "bundles"
DSFR_DIST = icons.DSFR_DIST
# An icon of the DSFR, which the stylesheet may carry inline instead of a request each.
ICON_URL = re.compile(r"url\(dsfr/(icons/[a-z0-9/-]+\.svg)\)")


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
    return {name: content for name, content in render_site(local=local).items() if name.endswith(".html")}


def render_site(*, local: bool) -> dict[str, bytes]:
    """Every file built from web/'s sources, by its path on the site: the pages (the local-only ones
    when `local`), the stylesheet they share and each page's script."""
    env = environment()
    bundles: dict[str, tuple[str, ...]] = {}

    @jinja2.pass_context
    def page_script(context: jinja2.runtime.Context, scripts: list[str]) -> str:
        """The one script the page being rendered loads (gabarits/cadre.html)."""
        if not scripts:
            return COMMON_SCRIPT
        bundle = f"{BUNDLES_DIR}/{context.name.removesuffix('.html')}.js"
        bundles[bundle] = (COMMON_SCRIPT, *scripts)
        return bundle

    env.globals.update(page_script=page_script, stylesheet=STYLESHEET)
    files = {name: env.get_template(name).render().encode("utf-8")
             for name in page_names() if local or name not in LOCAL_ONLY}
    files[STYLESHEET] = stylesheet()
    for bundle, sources in bundles.items():
        files[bundle] = script_bundle(sources)
    return files


def stylesheet() -> bytes:
    """What the pages add to the DSFR's stylesheet, in one file: the DSFR's own mask images declared
    again (infra/icons.py component_rules), then STYLESHEET_SOURCES. The icons a page would otherwise
    fetch one by one as it loads (icones.css's, and the DSFR's own COMPONENT_ICONS) come inline, as
    data: URLs (the Content-Security-Policy's img-src allows data:), each once, in a custom property:
    about 8 KB gzipped, cached for every page, instead of three to seven requests a page."""
    parts = [("dsfr.min.css: mask-image (infra/icons.py)", icons.component_rules())]
    parts += [(name, (WEB_DIR / name).read_text(encoding="utf-8")) for name in STYLESHEET_SOURCES]
    inline = sorted(icons.COMPONENT_ICONS | set(ICON_URL.findall((WEB_DIR / icons.OUTPUT.name).read_text(encoding="utf-8"))))
    variables = {path: "--icon-" + path.removeprefix("icons/").removesuffix(".svg").replace("/", "-") for path in inline}

    def data_url(path: str) -> str:
        svg = " ".join((DSFR_DIST / path).read_text(encoding="utf-8").split()).replace('"', "'")
        return 'url("data:image/svg+xml,' + urllib.parse.quote(svg, safe=" /:=;,'()-._!~*") + '")'

    def inlined(found: re.Match[str]) -> str:
        return f"var({variables[found.group(1)]})" if found.group(1) in variables else found.group(0)

    text = ":root{" + ";".join(f"{name}:{data_url(path)}" for path, name in variables.items()) + "}\n"
    for name, source in parts:
        text += f"/* {name} */\n" + ICON_URL.sub(inlined, source).rstrip("\n") + "\n"
    return text.encode("utf-8")


def script_bundle(sources: tuple[str, ...]) -> bytes:
    """The scripts one after the other, as the browser would run them from as many <script> tags
    (each web/ script is a "use strict" classic script sharing the page's global scope)."""
    return "".join(f"// {name}\n" + (WEB_DIR / name).read_text(encoding="utf-8").rstrip("\n") + "\n;\n"
                   for name in sources).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    for name, content in render_site(local=True).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
