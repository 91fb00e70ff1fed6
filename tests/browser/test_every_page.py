"""Every page of web/, as the person it is for sees it on arrival, on a phone and on a desktop:
axe-core finds no serious or critical violation, no script fails, and nothing scrolls sideways.
A new page must be added here (the first test fails until it is)."""
from pathlib import Path

import pytest

from tests.browser.conftest import NARROW, WIDE, demo_login
from tests.browser.console_steps import MFA_CODE, agent_headers

WEB_DIR = Path(__file__).resolve().parents[2] / "web"

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
}


def test_every_page_of_the_site_is_listed_here():
    assert {page.name for page in WEB_DIR.glob("*.html")} == set(PAGES)


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["large", "telephone"])
def test_every_page_is_accessible_and_fits_the_window(new_site, stack, viewport):
    tabs = {}
    for page_name, role in PAGES.items():
        if role not in tabs:
            tab = new_site(viewport)
            if role in ("instructeur-ddt", "prefecture", "inspecteur"):
                agent_headers(stack, role)  # double authentication set up
                tab.sign_in(demo_login(role), code=MFA_CODE)
            elif role:
                tab.sign_in(demo_login(role))
            tabs[role] = tab
        tab = tabs[role]
        page = tab.open(page_name)
        page.locator("#cadre-haut header").wait_for()
        tab.check(f"page-{page_name.removesuffix('.html')}-{'large' if viewport is WIDE else 'telephone'}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{page_name} scrolls sideways by {overflow} px at {viewport['width']} px"
