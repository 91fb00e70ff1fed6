"""The frame every page shares: DSFR header and menu by role, the sign-in page, the session kept
in memory (not in storage) and refreshed from page to page."""
from playwright.sync_api import expect

from tests.browser.conftest import NARROW, SCREENSHOTS, demo_login


def test_the_sign_in_page_is_accessible_on_a_wide_and_a_narrow_window(site, new_site):
    page = site.open("connexion.html")
    assert page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Où en est mon permis ?").count() == 1
    site.check("connexion-large")
    phone = new_site(NARROW)
    phone.open("connexion.html")
    phone.page.get_by_role("button", name="Menu").click()
    assert phone.page.get_by_role("link", name="Vérifier un document").first.is_visible()
    phone.check("connexion-telephone-menu")


def test_signing_in_with_empty_fields_names_each_field_to_fill(site):
    page = site.open("connexion.html")
    page.get_by_role("button", name="Se connecter", exact=True).last.click()
    summary = page.locator("#formulaire-connexion .resume-erreurs")
    assert summary.is_visible()
    assert "Indiquez votre adresse électronique." in page.locator("#erreur-email").inner_text()
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert "fr-input-group--error" in page.locator("#email").locator("xpath=..").get_attribute("class")
    site.check("connexion-erreurs")


def test_a_wrong_password_is_refused_in_french(site):
    page = site.open("connexion.html")
    page.get_by_role("textbox", name="Adresse électronique").fill(demo_login("auto-ecole"))
    page.locator("#password").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter", exact=True).last.click()
    page.locator("#formulaire-connexion .resume-erreurs").wait_for()
    assert "mot de passe" in page.locator("#formulaire-connexion .resume-erreurs").inner_text().lower()


def test_the_session_lives_in_memory_and_follows_the_person_from_page_to_page(site):
    page = site.sign_in(demo_login("auto-ecole"))
    stored = page.evaluate("() => Object.keys(sessionStorage).concat(Object.keys(localStorage))")
    assert "permis.refresh_token" in stored
    assert not any("access" in key or "id_token" in key for key in stored)
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Tableau de bord").wait_for()
    page.goto(site.web + "/espace.html")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Se déconnecter").first.is_visible()
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url("**/connexion.html")
    assert page.evaluate("() => sessionStorage.getItem('permis.refresh_token')") is None
    assert "déconnecté" in page.locator("#avis").inner_text()


def test_a_session_renewal_that_gets_no_answer_ends_nothing(site):
    """A page left while it renews its session (a reload, a quick click elsewhere) or a network cut
    aborts the renewal: the person stays signed in; only the service's own refusal ends a session."""
    site.sign_in(demo_login("auto-ecole"))
    page = site.page
    # No answer at all, then an answer cut while it was read (headers come, the body does not).
    for cut in (lambda route: route.abort(), lambda route: route.fulfill(status=200, body="{\"access_tok")):
        page.route("**/sessions/refresh", cut)
        page.goto(site.web + "/espace.html")  # a new page: its first call renews the session, which fails
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/espace.html")
        assert page.evaluate("() => sessionStorage.getItem('permis.refresh_token')")
        page.unroute("**/sessions/refresh")
        page.goto(site.web + "/index.html")
    page.goto(site.web + "/espace.html")  # the service answers again: still signed in
    page.wait_for_load_state("networkidle")
    page.get_by_role("heading", level=1, name="Mon compte").wait_for()


def test_without_javascript_a_page_keeps_its_frame_and_says_the_forms_need_it(new_site):
    """The header, the menu and the footer are in the page itself, not drawn by a script. (On a
    phone the DSFR's menu button needs the script: the footer's site map is the way round.)"""
    wide = new_site(javascript=False)
    page = wide.open("suivi.html")
    menu = page.get_by_role("navigation", name="Menu principal")
    assert menu.get_by_role("link", name="Où en est mon permis ?").get_attribute("aria-current") == "page"
    assert page.get_by_role("link", name="Se connecter").is_visible()
    tab = new_site(NARROW, javascript=False)
    page = tab.open("suivi.html")
    assert "République" in page.locator("header.fr-header .fr-logo").text_content()
    notice = page.locator(".fr-notice")
    assert notice.is_visible() and "JavaScript est désactivé" in notice.inner_text()
    assert page.locator("#pied-de-page").get_by_role("link", name="Plan du site").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOTS / "sans-javascript-telephone.png"), full_page=True)


def test_the_display_settings_turn_every_page_dark_and_back(site):
    """"Paramètres d'affichage" in the footer: the DSFR modal; the choice holds on the next page."""
    page = site.open("index.html")
    assert page.evaluate("() => document.documentElement.getAttribute('data-fr-theme')") == "light"
    page.get_by_role("button", name="Paramètres d'affichage").click()
    dialog = page.get_by_role("dialog", name="Paramètres d'affichage")
    dialog.get_by_text("Thème sombre").click()
    page.wait_for_function("() => document.documentElement.getAttribute('data-fr-theme') === 'dark'")
    site.check("parametres-affichage-sombre", full_page=False)
    dialog.get_by_role("button", name="Fermer").click()
    page = site.open("suivi.html")
    assert page.evaluate("() => document.documentElement.getAttribute('data-fr-theme')") == "dark"
    page.get_by_role("button", name="Paramètres d'affichage").click()
    page.get_by_role("dialog", name="Paramètres d'affichage").get_by_text("Thème clair").click()
    page.wait_for_function("() => document.documentElement.getAttribute('data-fr-theme') === 'light'")


def test_an_unknown_address_gets_the_french_404_page_with_its_styles_and_a_way_back(site):
    import requests

    missing = requests.get(site.web + "/demarches/ancienne-page.html", timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert "Page non trouvée" in missing.text and "Not Found" not in missing.text
    assert requests.get(site.web + "/web/pages/index.html", timeout=10).status_code == 404  # no template served
    assert requests.get(site.web + "/README.md", timeout=10).status_code == 404
    page = site.page
    page.goto(site.web + "/demarches/ancienne-page.html")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Page non trouvée"
    # The styles load from a nested address too (the page's links start from the site's root).
    assert "Marianne" in page.evaluate("() => getComputedStyle(document.body).fontFamily")
    site.check("erreur-404")
    page.get_by_role("link", name="Page d'accueil").click()
    page.wait_for_url(site.web + "/index.html")


def test_a_password_can_be_shown_with_the_dsfr_password_field(site):
    page = site.open("connexion.html")
    password = page.locator("#password")
    password.fill("une phrase secrète")
    assert password.get_attribute("type") == "password"
    show = page.get_by_role("checkbox", name="Afficher le mot de passe")
    page.locator('label[for="password-afficher"]').click()  # the DSFR draws the box on its label
    expect(show).to_be_checked()
    expect(password).to_have_attribute("type", "text")
    page.locator('label[for="password-afficher"]').click()
    expect(password).to_have_attribute("type", "password")
