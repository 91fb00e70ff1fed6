"""infra/pages.py: every page renders, and the context the pages read (the retentions the privacy
page states) comes from the constants the code enforces, without creating any AWS client."""
import re
import subprocess
import sys
from datetime import timedelta

from chalicelib import resources
from chalicelib.domain import accounts, alerts, exams, messages, requests, support
from infra import pages
from infra.stages import STAGES

MANDATORY_PAGES = ("accessibilite.html", "mentions-legales.html", "donnees-personnelles.html", "plan-du-site.html")


def _days(value: int | timedelta) -> int:
    return value.days if isinstance(value, timedelta) else value


def _bucket_days(prefix: str) -> int:
    return next(rule.days for rule in resources.CATALOGUE.bucket("documents").retention if rule.prefix == prefix)


# What the privacy page must state, in days, straight from the code that deletes the data.
RETENTIONS = {key: _days(value) for key, value in {
    "unactivated_account": accounts.ACTIVATION_DAYS, "draft": requests.DRAFT_RETENTION_DAYS,
    "upload": _bucket_days(resources.UPLOADS_PREFIX), "document": _bucket_days(resources.CHECKED_PREFIX),
    "receipt": _bucket_days(resources.RECEIPTS_PREFIX), "attestation": _bucket_days(resources.ATTESTATIONS_PREFIX),
    "agent_dossier": _bucket_days(resources.DOSSIERS_PREFIX),
    "replaced_file": resources.CATALOGUE.bucket("documents").noncurrent_version_days,
    "pending_alert": alerts.PENDING_RETENTION, "alert": alerts.ACTIVE_RETENTION,
    "message": messages.MESSAGE_RETENTION, "unsent_attachment": messages.UNSENT_ATTACHMENT_RETENTION,
    "answered_ticket": support.ANSWERED_RETENTION, "convocation": exams.CONVOCATION_RETENTION_DAYS,
    # The longest a message waits in a queue, or in its dead-letter queue once it failed.
    "queued_message": timedelta(seconds=max(seconds for queue in (*resources.CATALOGUE.queues,
                                                                  *resources.CATALOGUE.queue_families)
                                            for seconds in (queue.message_retention_seconds,
                                                            queue.dead_letter_retention_seconds))),
    "logs": STAGES["prod"].log_retention_days,
}.items()}


def spoken(days: int) -> str:
    """How the privacy page says a retention: whole years, else days."""
    if days >= 365 and days % 365 == 0:
        return f"{days // 365} an" + ("s" if days > 365 else "")
    return f"{days} jour" + ("s" if days > 1 else "")


def test_every_page_renders_and_the_mandatory_pages_are_among_them():
    rendered = pages.render_pages(local=False)
    assert set(rendered) == set(pages.page_names()) - pages.LOCAL_ONLY
    assert set(MANDATORY_PAGES) <= set(rendered)
    for name, content in rendered.items():
        text = content.decode("utf-8")
        assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>"), name
        assert '<footer class="fr-footer' in text, name


def test_the_context_gives_the_retentions_the_code_enforces():
    context = pages.context()
    assert context["retention_days"] == RETENTIONS
    assert context["hosting_region"] == resources.DEFAULT_REGION == STAGES["prod"].region
    assert re.fullmatch(r"\d+\.\d+\.\d+", context["axe_core_version"])


def test_the_privacy_page_states_each_retention_from_the_context():
    page = pages.render_pages(local=False)["donnees-personnelles.html"].decode("utf-8")
    stated = re.findall(r'data-retention="([a-z_]+)" data-jours="(\d+)">([^<]+)<', page)
    assert {key for key, _, _ in stated} == set(RETENTIONS)
    for key, days, text in stated:
        assert int(days) == RETENTIONS[key], key
        assert text.startswith(spoken(RETENTIONS[key])), (key, text)


def test_the_context_creates_no_aws_client_and_loads_no_boto3():
    code = ("import sys; from infra import pages; pages.context(); "
            "assert not {'boto3', 'botocore'} & set(sys.modules), sorted(m for m in sys.modules if 'boto' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_page_loads_the_dsfr_one_stylesheet_the_fonts_it_draws_and_one_script():
    """Issue 22: each file is a request the page's load event waits for (six at a time over HTTP/1.1):
    the DSFR's stylesheet, the site's (icons inline), the three weights of Marianne the frame draws,
    fetched with the page rather than once the stylesheet is read, and one script (commun.js, or
    commun.js and the page's own in one file), deferred, before the DSFR's. A page may add a library's
    own files (lib/: the statistics' charts)."""
    site = pages.render_site(local=True)
    for name in pages.page_names():
        text = site[name].decode("utf-8")
        sheets = [href for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text) if not href.startswith("lib/")]
        assert sheets == ["dsfr/dsfr.min.css", pages.STYLESHEET], name
        preloaded = re.findall(r'<link rel="preload" href="([^"]+)" as="font" type="font/woff2" crossorigin>', text)
        assert preloaded == [f"dsfr/fonts/Marianne-{w}.woff2" for w in ("Regular", "Medium", "Bold")], name
        assert all((pages.DSFR_DIST / path.removeprefix("dsfr/")).is_file() for path in preloaded)
        scripts = [s for s in re.findall(r"<script ([^>]*)></script>", text) if 'src="lib/' not in s]
        assert len(scripts) == 3 and scripts[1:] == ['type="module" src="dsfr/dsfr.module.min.js"',
                                                     'nomodule src="dsfr/dsfr.nomodule.min.js"'], name
        script = re.fullmatch(r'src="([^"]+)" defer', scripts[0]).group(1)
        assert script == pages.COMMON_SCRIPT or script in site, (name, script)


def test_a_page_s_script_is_commun_js_then_its_own_in_the_order_it_lists_them():
    site = pages.render_site(local=False)
    bundle = site["bundles/inscription-candidat.js"].decode("utf-8")
    sources = [pages.COMMON_SCRIPT, "inscription.js", "inscription-candidat.js", "franceconnect.js"]
    assert re.findall(r"^// ([a-z-]+\.js)$", bundle, flags=re.M) == sources
    for source in sources:
        assert (pages.WEB_DIR / source).read_text(encoding="utf-8").rstrip("\n") in bundle
    assert 'src="commun.js" defer' in site["mentions-legales.html"].decode("utf-8")  # no script of its own
    assert not any(name.startswith("bundles/boite-mail") for name in site)  # the local mailbox: make run only


def test_the_stylesheet_carries_the_icons_the_pages_draw_and_keeps_the_dsfr_s_order():
    """icones.css's icons and the DSFR's own COMPONENT_ICONS are data: URLs, defined once; the DSFR's
    mask images are declared again, every one of them in its order, so that each element keeps its
    icon; what is left points at files of the installed DSFR."""
    from infra import icons

    sheet = pages.stylesheet().decode("utf-8")
    defined = set(re.findall(r"(--icon-[a-z0-9-]+):url\(\"data:image/svg\+xml,", sheet))
    used = set(re.findall(r"var\((--icon-[a-z0-9-]+)\)", sheet))
    assert used == defined and len(defined) >= len(icons.COMPONENT_ICONS)
    left = set(re.findall(r"url\(dsfr/(icons/[^)]+)\)", sheet))
    assert not left & icons.COMPONENT_ICONS and not re.search(r"\.fr-icon-[a-z0-9-]+:after[^{]*\{[^}]*url\(dsfr", sheet)
    assert all((pages.DSFR_DIST / path).is_file() for path in left | icons.COMPONENT_ICONS)
    dsfr = icons.DSFR_CSS.read_text(encoding="utf-8")
    assert icons.component_rules().count("-webkit-mask-image:") == dsfr.count("-webkit-mask-image:") > 100
    assert sheet.index("/* icones.css */") < sheet.index("/* style.css */")
