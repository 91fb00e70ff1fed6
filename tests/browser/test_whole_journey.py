"""Issue 8's journey, by clicking only: the demo school files a registration with real uploads
(wide window), the candidate activates their account and validates from the email's link (on a
phone), the DDT agent validates it in the console, and the school downloads the attestation."""
import re
import uuid

import requests
from playwright.sync_api import expect

from tests.browser.conftest import NARROW, WIDE, api_session, demo_login
from tests.browser.console_steps import sign_in_agent, validate_next_in_console
from tests.browser.school_steps import file_registration_in_browser
from tests.stack_support import email_links, mail_to, wait_for

PASSWORD = "ma phrase de passe du permis"


def test_school_files_candidate_validates_from_the_email_agent_validates_school_downloads(new_site, stack, tmp_path):
    school = new_site(WIDE)
    school.sign_in(demo_login("auto-ecole"))
    email = f"camille.{uuid.uuid4().hex[:8]}@exemple.fr"
    number = file_registration_in_browser(school, email)
    expect(school.page.get_by_text("Attente validation usager").first).to_be_visible()

    # The candidate, on a phone: the one email leads to the account's activation, then the request.
    candidate = new_site(NARROW)
    mail = mail_to(stack, email)
    [link] = [link for link in email_links(mail) if "activation.html#jeton=" in link]
    assert f"demande={number}" in link
    page = candidate.page
    page.goto(link)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirmation").fill(PASSWORD)
    candidate.check("parcours-activation")
    page.get_by_role("button", name="Activer mon compte").click()
    # Cognito (moto) sets the password: seconds on a busy CI machine, once more than 15 s.
    expect(page.locator("#bloc-succes")).to_contain_text(f"demande n° {number}", timeout=45_000)
    page.locator("#bloc-succes").get_by_role("link", name="Se connecter").click()
    page.get_by_role("textbox", name="Adresse électronique").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).last.click()
    page.wait_for_url(f"**/valider.html#demande={number}")
    expect(page.locator("#informations")).to_contain_text("Dupont")
    candidate.check("parcours-valider")
    page.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    expect(page.get_by_text("Demande validée").first).to_be_visible(timeout=30_000)

    # The DDT agent: the request reaches the queue by itself (checks, then instruction).
    agent = new_site(WIDE)
    sign_in_agent(agent, "instructeur-ddt")
    message = validate_next_in_console(agent, number)
    neph = re.search(r"\b(\d{12})\b", message.replace(number, ""))
    assert neph, message
    agent.check("parcours-console-apres-decision")

    # The school: its dashboard shows the validation, the request page downloads the attestation.
    dashboard = school.open("demandes.html")
    row = dashboard.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Validée", timeout=30_000)
    school.check("parcours-tableau-de-bord-validee")
    row.get_by_role("link").first.click()
    request_page = school.page
    button = request_page.get_by_role("button", name="Télécharger l'attestation")
    expect(button).to_be_visible(timeout=30_000)
    expect(request_page.locator("main")).to_contain_text(neph.group(1))
    school.check("parcours-demande-validee")
    # A worker renders the attestation in a few seconds; until then the button says it is not ready.
    headers = api_session(stack, demo_login("auto-ecole"))
    wait_for(lambda: requests.get(f"{school.api}/requests/{number}/attestations/inscription", headers=headers,
                                  timeout=10).status_code == 200, "the attestation to be rendered")
    with request_page.expect_download(timeout=30_000) as download:
        button.click()
    pdf = tmp_path / "attestation.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
