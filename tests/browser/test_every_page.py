"""Every page of the site, as the person it is for sees it on arrival, on a phone and on a desktop,
in the light and the dark theme: axe-core finds no serious or critical violation, no script fails,
and nothing scrolls sideways. A new page must be added here (the first test fails until it is)."""
import pytest

from infra.pages import page_names
from tests.browser.conftest import NARROW, WIDE, demo_login
from tests.browser.console_steps import MFA_CODE, agent_headers

# page -> who opens it (None: anyone, signed out)
PAGES = {
    "index.html": None, "connexion.html": None, "inscription-candidat.html": None,
    "inscription-auto-ecole.html": None, "activation.html": None, "mot-de-passe.html": None,
    "confirmer-adresse.html": None, "suivi.html": None, "alertes.html": None, "desabonnement.html": None,
    "verification.html": None, "boite-mail.html": None,
    "demandes.html": "auto-ecole", "demande.html": "auto-ecole", "membres.html": "auto-ecole",
    "espace.html": "candidat", "valider.html": "candidat", "console.html": "instructeur-ddt",
    "contact.html": None, "support.html": "prefecture",
    "courriers.html": "mediateur",
    "rendez-vous.html": "auto-ecole", "creneaux.html": "instructeur-ddt",
    "statistiques.html": "prefecture", "examen.html": "inspecteur",
    "accessibilite.html": None, "mentions-legales.html": None, "donnees-personnelles.html": None,
    "plan-du-site.html": None, "franceconnect.html": None, "404.html": None, "500.html": None, "503.html": None,
}


# The footer's links every page of a State site carries (DSFR), and its bottom list.
MANDATORY_LINKS = {
    "content": ["https://www.legifrance.gouv.fr", "https://www.info.gouv.fr", "https://www.service-public.fr",
                "https://www.data.gouv.fr"],
    "bottom": ["Plan du site", "Accessibilité : non conforme", "Mentions légales", "Données personnelles",
               "Gestion des cookies", "Paramètres d'affichage"],
}
FOOTER_LINKS = """() => ({
  content: [...document.querySelectorAll('#pied-de-page .fr-footer__content-link')].map((a) => a.href.replace(/\\/$/, '')),
  bottom: [...document.querySelectorAll('#pied-de-page .fr-footer__bottom-link')].map((a) => a.textContent.trim()),
})"""


def test_every_page_of_the_site_is_listed_here():
    assert set(page_names()) == set(PAGES)


@pytest.mark.parametrize("theme", ["light", "dark"], ids=["clair", "sombre"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["large", "telephone"])
def test_every_page_is_accessible_and_fits_the_window(new_site, stack, viewport, theme):
    """The theme is the device's: the pages follow it ("Système", the default of the display settings)."""
    tabs = {}
    for page_name, role in PAGES.items():
        if role not in tabs:
            tab = new_site(viewport, color_scheme=theme)
            if role in ("instructeur-ddt", "prefecture", "inspecteur"):
                agent_headers(stack, role)  # double authentication set up
                tab.sign_in(demo_login(role), code=MFA_CODE)
            elif role:
                tab.sign_in(demo_login(role))
            tabs[role] = tab
        tab = tabs[role]
        page = tab.open(page_name)
        page.locator("header.fr-header").wait_for()
        assert page.evaluate("() => document.documentElement.getAttribute('data-fr-theme')") == theme, page_name
        assert page.evaluate(FOOTER_LINKS) == MANDATORY_LINKS, page_name
        tab.check(f"page-{page_name.removesuffix('.html')}-{'large' if viewport is WIDE else 'telephone'}-{theme}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{page_name} scrolls sideways by {overflow} px at {viewport['width']} px"
