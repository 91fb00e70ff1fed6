"""The frame every page shares: DSFR header and menu by role, the sign-in page, the session kept
in memory (not in storage) and refreshed from page to page."""
from tests.browser.conftest import NARROW, demo_login


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
