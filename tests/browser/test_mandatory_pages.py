"""The State's mandatory pages (issue 21): the accessibility statement, the legal notice, the privacy
page and the site map. Each is reached by a click in the footer of another page and passes axe on a
desktop and on a phone; the privacy page states the retentions the code enforces and what the site
keeps in the browser (no cookie); the site map has every menu's links, and each of them answers."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import NARROW, WIDE
from tests.stack_support import PROJECT_DIR
from tests.unit.test_pages import RETENTIONS, spoken

# page -> (the footer link's text, the page's heading)
MANDATORY = {
    "accessibilite.html": ("Accessibilité : non conforme", "Déclaration d'accessibilité"),
    "mentions-legales.html": ("Mentions légales", "Mentions légales"),
    "donnees-personnelles.html": ("Données personnelles", "Données personnelles"),
    "plan-du-site.html": ("Plan du site", "Plan du site"),
}
WEB_DIR = PROJECT_DIR / "web"
# Keys of sessionStorage and localStorage the scripts use (the DSFR keeps the theme in "scheme").
STORAGE_KEY = re.compile(r'"(permis\.[a-z_.]+)"')
LEGACY_KEYS = {"permis.access_token", "permis.id_token"}  # only ever removed (commun.js clearSession)


def menus():
    """MENUS of web/commun.js: {role: [(href, label), ...]}."""
    script = (WEB_DIR / "commun.js").read_text(encoding="utf-8")
    block = script[script.index("const MENUS = {"):]
    block = block[:block.index("};")]
    return {role: re.findall(r'\["[a-z-]+", "([^"]+)", "([^"]+)"\]', items)
            for role, items in re.findall(r'"?([a-z-]+)"?: \[(.*?\])\]', block, flags=re.S)}


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["large", "telephone"])
def test_each_mandatory_page_is_reached_from_the_footer_and_is_accessible(new_site, viewport):
    tab = new_site(viewport)
    size = "large" if viewport is WIDE else "telephone"
    for name, (link, heading) in MANDATORY.items():
        page = tab.open("suivi.html")
        page.locator("#pied-de-page").get_by_role("link", name=link, exact=True).click()
        page.wait_for_url(f"**/{name}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        tab.check(f"obligatoire-{name.removesuffix('.html')}-{size}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways by {overflow} px at {viewport['width']} px"

    page = tab.open("index.html")
    page.locator("#pied-de-page").get_by_role("link", name="Gestion des cookies").click()
    page.wait_for_url("**/donnees-personnelles.html#cookies")
    expect(page.get_by_role("heading", name="Gestion des cookies")).to_be_in_viewport()


def test_the_privacy_page_states_the_retentions_the_code_enforces(site):
    page = site.open("donnees-personnelles.html")
    stated = page.locator("[data-retention]")
    expect(stated.first).to_be_visible()
    assert {stated.nth(i).get_attribute("data-retention") for i in range(stated.count())} == set(RETENTIONS)
    for key, days in RETENTIONS.items():
        for element in page.locator(f'[data-retention="{key}"]').all():
            assert element.get_attribute("data-jours") == str(days), key
            expect(element).to_contain_text(spoken(days))
            expect(element).to_be_visible()
    # Each treatment says its purpose, legal basis, data, recipients and retention.
    for treatment in page.locator("#traitements section").all():
        assert treatment.locator("dt").all_inner_texts() == ["Finalité", "Base légale", "Données", "Destinataires",
                                                             "Conservation"]


def test_the_cookies_section_lists_what_the_site_keeps_in_the_browser_and_it_sets_no_cookie(site):
    page = site.open("donnees-personnelles.html#cookies")
    section = page.locator("#cookies")
    expect(section.get_by_role("heading", name="Gestion des cookies")).to_be_visible()
    expect(section).to_contain_text("ne dépose aucun cookie et ne mesure pas son audience")
    listed = set(section.locator("code").all_inner_texts())
    used = {key for script in WEB_DIR.glob("*.js") for key in STORAGE_KEY.findall(script.read_text(encoding="utf-8"))}
    assert used - LEGACY_KEYS <= listed, f"keys the scripts keep that the page does not list: {used - LEGACY_KEYS - listed}"
    assert "scheme" in listed  # the DSFR's display settings
    for name in ("index.html", "suivi.html", "verification.html", "donnees-personnelles.html"):
        site.open(name)
    assert site.context.cookies() == []
    assert page.evaluate("() => document.cookie") == ""


def test_the_site_map_has_every_menu_and_each_of_its_links_answers(site):
    page = site.open("plan-du-site.html")
    for role, items in menus().items():
        group = page.locator(f"#plan-{role}")
        expect(group).to_be_visible()
        for href, label in items:
            expect(group.locator(f'a[href="{href}"]')).to_have_text(label)
    public = set(page.locator("#plan-publiques a").evaluate_all("links => links.map((a) => a.getAttribute('href'))"))
    visitor = page.locator("#navigation-principale a").evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    assert set(visitor) <= public
    footer = page.locator("#pied-de-page a.fr-footer__bottom-link").evaluate_all(
        "links => links.map((a) => a.getAttribute('href'))")
    informations = set(page.locator("#plan-informations a").evaluate_all("links => links.map((a) => a.getAttribute('href'))"))
    assert set(footer) - {"plan-du-site.html"} == informations

    links = set(page.locator("main a").evaluate_all("links => links.map((a) => a.getAttribute('href'))"))
    for href in sorted(links):
        answer = requests.get(f"{site.web}/{href.split('#')[0]}", timeout=10)
        assert answer.status_code == 200, f"{href}: {answer.status_code}"
        assert "<h1" in answer.text, href
