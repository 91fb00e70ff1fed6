"""The driving school's space in the browser: the dashboard of requests, the 7-step filing with real
files checked by the workers, the summary and submission, the history, and the members."""
import re
import uuid

import requests
from playwright.sync_api import expect

from tests.browser import school_steps
from tests.browser.conftest import NARROW, api_session, demo_login

SCHOOL = demo_login("auto-ecole")


def new_email(prefix="candidat"):
    return f"{prefix}.{uuid.uuid4().hex[:10]}@exemple.fr"


def test_the_demo_school_files_a_registration_in_the_browser_and_sees_it_await_the_candidate(site):
    site.sign_in(SCHOOL)
    page = site.open("demandes.html")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    site.check("tableau-de-bord-large")
    number = school_steps.file_registration_in_browser(site, new_email(), check=site.check)
    expect(page.locator("#lecture-statut")).to_contain_text("Attente validation usager")
    expect(page.locator("#historique")).to_contain_text("Attente validation usager")
    site.check("demande-deposee-historique")

    page = site.open("demandes.html")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))
    badge = row.locator(".fr-badge")
    expect(badge).to_have_text("Attente validation usager")
    assert "fr-badge--warning" in badge.get_attribute("class")
    site.check("tableau-de-bord-apres-depot")
