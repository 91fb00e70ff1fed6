"""Steps of the agents' console shared with other browser tests (the lead's whole journey):
requests brought to instruction over the API, an agent signed in with double authentication, a
request validated in console.html."""
import random
import re
import time
import uuid

import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import DEMO_PASSWORD, api_session, demo_login, settle, tick
from tests.stack_support import (
    api_caller, draft_registration, link_token, mail_to, scan_jpeg_bytes, submit_request, wait_for)

MFA_CODE = "123456"  # locally, any 6-digit code is accepted
NAMES = ["Martin", "Bernard", "Thomas", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon",
         "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet"]
FIRST_NAMES = ["Léa", "Chloé", "Manon", "Inès", "Jade", "Louise", "Hugo", "Lucas", "Nathan", "Théo"]


def agent_headers(stack, role):
    """An API session for the demo agent of `role`, setting up double authentication first if it is
    not (POST /me/mfa/setup then /me/mfa/verify; the session opened before does not carry the
    agent's role, so the agent signs in again)."""
    api, email = stack["urls"]["api"], demo_login(role)

    def sign_in():
        answer = requests.post(api + "/sessions", timeout=10, json={"email": email, "password": DEMO_PASSWORD}).json()
        if answer["status"] == "mfa_required":
            answer = requests.post(api + "/sessions/mfa", timeout=10, json={
                "email": email, "session": answer["session"], "code": MFA_CODE}).json()
        return {"Authorization": f"Bearer {answer['tokens']['access_token']}"}

    headers = sign_in()
    if requests.get(api + "/me", headers=headers, timeout=30).json()["mfa_required"]:
        assert requests.post(api + "/me/mfa/setup", headers=headers, timeout=30).status_code == 200
        verified = requests.post(api + "/me/mfa/verify", headers=headers, json={"code": MFA_CODE}, timeout=30)
        assert verified.status_code == 200, verified.text
        headers = sign_in()
    return headers


def sign_in_agent(site, role):
    """Signs the demo agent of `role` in on `site` (double authentication set up over the API if
    needed, then the 6-digit code at sign-in) and opens the console."""
    agent_headers(site.stack, role)
    site.sign_in(demo_login(role), code=MFA_CODE)
    page = site.open("console.html")
    page.locator("#chargement").wait_for(state="hidden")
    return page


def school_caller(stack):
    """The demo school's calls over HTTP (what the school would see)."""
    return api_caller(stack, api_session(stack, demo_login("auto-ecole")))


def file_requests(stack, count, identity=None, ephoto_codes=None):
    """`count` registration requests filed by the demo school (steps, ePhoto, documents uploaded,
    submitted), each validated by its own new candidate (the activation email read in the local
    mailbox); returns their numbers once every one is "en-instruction" in the DDT-69 queue.
    `identity` (birth name, first names, birth date): the same person on each, else random ones.
    `ephoto_codes`: each request's ePhoto code (a code serves one request), else fresh ones."""
    api = stack["urls"]["api"]
    headers = api_session(stack, demo_login("auto-ecole"))
    call = api_caller(stack, headers)
    scan = scan_jpeg_bytes()
    filed = []
    for index in range(count):
        email = f"candidat.{uuid.uuid4().hex[:10]}@exemple.fr"
        birth_date = f"200{random.randint(0, 5)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}"
        birth_name, first_names, birth_date = identity or (random.choice(NAMES), random.choice(FIRST_NAMES),
                                                           birth_date)
        number = draft_registration(stack, call, email, birth_name=birth_name, first_names=first_names,
                                    birth_date=birth_date, scan=scan,
                                    ephoto=ephoto_codes[index] if ephoto_codes else None)
        filed.append((number, email))
    for number, _ in filed:
        submit_request(stack, headers, number)
    for number, email in filed:
        mail = mail_to(stack, email)
        activated = requests.post(api + "/accounts/activation", timeout=10,
                                  json={"token": link_token(mail), "password": "le code de la route 2026"})
        assert activated.status_code == 200, activated.text
        candidate = api_session(stack, email, password="le code de la route 2026")

        def validate():
            seen = requests.get(f"{api}/requests/{number}", headers=candidate, timeout=30).json()
            if seen["status"] != "attente-validation-usager":
                return True  # validated (the checker may change the version under a first attempt)
            try:
                answer = requests.post(f"{api}/requests/{number}/validation", json={"version": seen["version"]},
                                       headers=candidate, timeout=30)
            except requests.exceptions.Timeout:
                return False
            assert answer.status_code in (200, 409, 500), answer.text
            return answer.status_code == 200

        wait_for(validate, f"the candidate's validation of {number}")
    for number, _ in filed:
        wait_for(lambda: call("GET", f"/requests/{number}")["status"] == "en-instruction",
                 f"request {number} to reach instruction", timeout=120)
    return [number for number, _ in filed]


def validated_over_api(stack, request_number) -> str:
    """The registration validated by the demo DDT agent over the API (the decision is tested in the
    console elsewhere): its NEPH."""
    api, agent = stack["urls"]["api"], agent_headers(stack, "instructeur-ddt")
    taken = requests.post(f"{api}/staff/requests/{request_number}/claim", headers=agent, timeout=30)
    assert taken.status_code == 200, taken.text
    decided = requests.post(f"{api}/staff/requests/{request_number}/decision", headers=agent, timeout=30,
                            json={"version": taken.json()["version"], "decision": "valider"})
    assert decided.status_code == 200, decided.text
    return decided.json()["neph"]


def claim_in_console(page, request_number, timeout=120):
    """From the queue view, claims until `request_number` is shown (the others stay held by the
    agent, listed under « Demandes que vous avez prises en charge »); returns the numbers skipped.
    An empty queue is asked again (its message follows the commit through the relay), as an agent
    would, until `timeout` seconds."""
    skipped = []
    title = page.locator("#titre-demande")
    button = page.locator("#prendre-suivante")
    deadline = time.monotonic() + patience.seconds(timeout)
    while time.monotonic() < deadline:
        settle(page)  # the queue's figures loaded: the button no longer moves
        button.click()
        expect(button).not_to_have_attribute("aria-busy", "true", timeout=patience.ms(60_000))  # the answer is shown
        if page.locator("#bloc-demande").is_visible():
            shown = re.search(r"Demande (\S+)", title.inner_text()).group(1)
            if shown == request_number:
                # Settled (its notes and messages loaded) before the agent clicks its controls.
                expect(page.locator("#liste-notes")).not_to_contain_text("Chargement")
                expect(page.locator("#fil-messages")).not_to_contain_text("Chargement")
                return skipped
            skipped.append(shown)
            page.get_by_role("button", name="Retour à la file").click()
            page.locator("#bloc-file").wait_for()
        else:
            page.locator("#etat-file").get_by_text("Aucune demande en attente").wait_for()
            time.sleep(1)
    raise AssertionError(f"request {request_number} never came out of the queue (skipped {skipped})")


def release_in_console(page, request_number, still_held=True):
    """Resumes `request_number` from the queue view's « Reprendre » list and releases it. With
    still_held=False (a cleanup of requests skipped on the way), a request that the console says is
    no longer reserved (decided or withdrawn meanwhile by the workers) needs no release. The queue's
    figures, still loading after a decision, push the list down when they come: the agent clicks once
    the page has settled, or the click lands where the button was."""
    settle(page)
    page.get_by_role("button", name=f"Reprendre la demande {request_number}").click()
    title = page.locator("#titre-demande").get_by_text(request_number)
    lost = page.locator("#etat-file").get_by_text(f"La demande {request_number} ne vous est plus réservée")
    try:
        expect(title.or_(lost)).to_be_visible(timeout=patience.ms(60_000))
    except AssertionError:
        raise AssertionError(f"request {request_number} was not resumed; the console says: "
                             + page.locator("main").inner_text()[:1500]) from None
    if not title.is_visible():
        assert not still_held, "the console says: " + page.locator("#etat-file").inner_text()
        return
    page.get_by_role("button", name="Libérer la demande").click()
    page.locator("#avis").get_by_text("libérée").wait_for()


def queue_shown(page):
    """Waits for the console's queue view; says what the page shows instead when it does not come."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator("#bloc-file").wait_for(timeout=patience.ms(30_000))
    except PlaywrightTimeout:
        raise AssertionError("the console shows no queue: " + page.locator("main").inner_text()[:1500]) from None


def stop_chaining(page):
    """Back to the queue after the decision (the console opens the next request by default)."""
    tick(page.get_by_label("Ouvrir la demande suivante après chaque décision"), False)


def decide_in_console(site, request_number, choose_decision):
    """On a tab where an instructor is signed in (sign_in_agent): claims until `request_number`
    comes, makes the decision choose_decision(page) fills in, confirms it, releases the others it had
    to take on the way; returns the success message shown."""
    page = site.page
    if not page.url.endswith("console.html"):
        page = site.open("console.html")
    queue_shown(page)
    skipped = claim_in_console(page, request_number)
    choose_decision(page)
    stop_chaining(page)
    page.get_by_role("button", name="Vérifier ma décision").click()
    page.locator("#bloc-confirmation").wait_for()
    # A journey run at two widths files the same person twice: the second validation repeats the
    # "NEPH existant" point, which the agent ticks after looking (tests/browser/test_workbench.py
    # tests the refusal when they do not).
    for box in page.locator('#choix-verifications input[type="checkbox"]').all():
        tick(box)
    page.get_by_role("button", name="Confirmer la décision").click()
    message = page.locator("#avis")
    message.get_by_text("Décision enregistrée").wait_for()
    text = message.inner_text()
    for other in skipped:
        release_in_console(page, other, still_held=False)
    return text


def validate_next_in_console(site, request_number):
    """decide_in_console with "Valider la demande": the message shown gives the NEPH of a registration."""
    return decide_in_console(site, request_number,
                             lambda page: tick(page.get_by_label("Valider la demande")))
