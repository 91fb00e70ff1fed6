"""The agents' console (console.html): the queue's state, claiming the next request, its documents
and pre-checks, the decisions (complement, validation, rejection) with their confirmation, the
claim's extension and release, a decision refused once the claim is gone, the empty queue, the
accounts that may not use it, the prefecture administrator's view. Tests run in file order: the
three requests filed at the start go through them one after the other."""
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, demo_login, tick
from tests.browser.console_steps import (agent_headers, claim_in_console, file_requests, release_in_console,
                                         school_caller, sign_in_agent, stop_chaining, validate_next_in_console)
from tests.stack_support import wait_for


@pytest.fixture(scope="module")
def filed(stack):
    """Three registration requests of the demo school in the DDT-69 queue."""
    return file_requests(stack, 3)


def test_an_agent_without_double_authentication_is_sent_to_set_it_up(site):
    answer = requests.post(site.api + "/sessions", timeout=10, json={
        "email": demo_login("instructeur-cert"), "password": DEMO_PASSWORD}).json()
    # No browser test before this one sets up the demo CERT agent's double authentication.
    assert answer["status"] == "signed_in", "the CERT agent's double authentication is already set up"
    site.sign_in(demo_login("instructeur-cert"))
    page = site.open("console.html")
    alert = page.locator("#bloc-acces")
    alert.get_by_role("heading", name="Activez d'abord la double authentification").wait_for()
    link = alert.get_by_role("link", name="Configurer la double authentification dans « Mon compte »")
    assert link.get_attribute("href") == "espace.html#bloc-mfa"
    assert page.get_by_role("button", name="Prendre la demande suivante").is_hidden()
    site.check("console-sans-double-authentification")


def test_a_school_member_opening_the_console_is_told_it_is_for_agents(site):
    site.sign_in(demo_login("auto-ecole"))
    page = site.open("console.html")
    page.get_by_role("heading", name="Cette page est réservée aux agents instructeurs").wait_for()
    assert "Professionnel auto-école" in page.locator("#texte-acces").inner_text()
    assert page.get_by_role("link", name="Aller à mon compte").get_attribute("href") == "espace.html"
    assert page.locator("#bloc-file").is_hidden()
    site.check("console-mauvais-role")


def test_the_cert_agent_sees_an_empty_queue_on_a_wide_and_a_narrow_window(site, phone):
    page = sign_in_agent(site, "instructeur-cert")
    page.get_by_role("heading", name="Ma file : CERT").wait_for()
    empty = page.locator("#file-vide")
    empty.get_by_role("heading", name="Aucune demande en attente").wait_for()
    assert page.locator("#chiffres-file .console-nombre").first.inner_text() == "0"
    page.get_by_role("button", name="Prendre la demande suivante").click()
    page.locator("#etat-file").get_by_text("Aucune demande en attente dans votre file").wait_for()
    site.check("console-file-vide-large")
    narrow = sign_in_agent(phone, "instructeur-cert")
    narrow.locator("#file-vide").wait_for()
    phone.check("console-file-vide-telephone")


def test_the_ddt_agent_claims_a_request_opens_a_document_and_asks_a_complement(site, filed, stack):
    first = filed[0]
    page = sign_in_agent(site, "instructeur-ddt")
    page.get_by_role("heading", name="Ma file : DDT-69").wait_for()
    waiting = page.locator(".console-chiffre", has_text="Nouvelles demandes en attente").locator(".console-nombre")

    def all_filed_are_counted():
        # The queue's message follows the commit through the outbox relay, which may lag on a busy
        # stack (the statistics' demo history is counted at start): the agent refreshes, as they would.
        if int(waiting.inner_text()) >= len(filed):
            return True
        page.get_by_role("button", name="Actualiser").click()
        time.sleep(1)
        return False

    wait_for(all_filed_are_counted, "the filed requests counted in the queue", timeout=90)
    assert page.locator("#file-vide").is_hidden()
    site.check("console-file-large")

    skipped = claim_in_console(page, first)
    page.locator("#etat-demande").get_by_text(f"Demande {first} prise en charge").wait_for()
    assert "En cours d'instruction" in page.locator("#badges-demande").text_content()
    assert "vous est réservée jusqu'à" in page.locator("#texte-prise").inner_text()
    assert page.locator("#fiche-demande").get_by_text("Inscription", exact=False).count() >= 1
    assert page.locator("#liste-controles li").count() >= 1
    pieces = page.locator("#tableau-pieces")
    row = pieces.locator("li", has_text="Justificatif de domicile")
    assert "Acceptée" in row.text_content()
    site.check("console-demande-large")

    page.get_by_role("button", name="Prolonger de 15 minutes").click()
    page.locator("#etat-demande").get_by_text("Prise en charge prolongée jusqu'à").wait_for()

    row.get_by_role("button", name="Ouvrir la pièce : Justificatif de domicile de moins de 6 mois").click()
    link = row.get_by_role("link", name=re.compile("Télécharger « Justificatif de domicile"))
    link.wait_for()
    assert "valable une minute" in row.inner_text()
    assert link.evaluate("(a) => a === document.activeElement")
    assert requests.get(link.get_attribute("href"), timeout=10).content.startswith(b"\xff\xd8")  # a JPEG

    # A complement without a reason is refused next to the field, the summary takes the focus.
    tick(page.get_by_label("Demander un complément"))
    tick(page.get_by_label("Justificatif de domicile de moins de 6 mois", exact=True))
    page.get_by_role("button", name="Vérifier ma décision").click()
    summary = page.locator("#formulaire-decision .resume-erreurs")
    summary.wait_for()
    assert summary.evaluate("(s) => s === document.activeElement")
    assert "Cochez au moins un motif" in page.locator("#erreur-reasons").inner_text()
    assert "fr-fieldset--error" in page.locator("#champ-motifs").get_attribute("class")
    site.check("console-decision-erreurs")

    tick(page.get_by_label("Le justificatif de domicile a plus de 6 mois"))
    page.get_by_label("Précisions").fill("Merci de joindre une facture de moins de 6 mois.")
    page.get_by_role("button", name="Vérifier ma décision").click()
    confirmation = page.locator("#bloc-confirmation")
    confirmation.get_by_text(f"Vous allez demander un complément pour la demande {first}").wait_for()
    assert "Pièce à remplacer : Justificatif de domicile" in confirmation.inner_text()
    site.check("console-decision-confirmation")
    stop_chaining(page)
    page.get_by_role("button", name="Confirmer la décision").click()
    page.locator("#avis").get_by_text("Décision enregistrée : Complément demandé").wait_for()
    page.get_by_role("heading", name="Ma file : DDT-69").wait_for()

    school = school_caller(stack)(  # what the school sees of it
        "GET", f"/requests/{first}")
    assert school["status_label"] == "Complément demandé"
    assert school["complement_documents"][0]["document"] == "domicile"
    for other in skipped:
        release_in_console(page, other)


def test_the_ddt_agent_validates_one_request_and_releases_another(site, filed, stack):
    second, third = filed[1], filed[2]
    sign_in_agent(site, "instructeur-ddt")
    message = validate_next_in_console(site, second)
    school = school_caller(stack)("GET", f"/requests/{second}")
    assert school["status_label"] == "Validée" and school["neph"]
    assert f"NEPH {school['neph']}" in message

    page = site.page
    skipped = claim_in_console(page, third)
    page.get_by_role("button", name="Libérer la demande").click()
    page.locator("#avis").get_by_text(f"Demande {third} libérée : elle retourne dans la file.").wait_for()
    for other in skipped:
        release_in_console(page, other)


def test_deciding_once_the_claim_was_released_elsewhere_is_refused_in_french(site, filed, stack):
    third = filed[2]
    page = sign_in_agent(site, "instructeur-ddt")
    skipped = claim_in_console(page, third)
    released = requests.post(f"{site.api}/staff/requests/{third}/release", timeout=10,
                             headers=agent_headers(stack, "instructeur-ddt"))
    assert released.status_code == 200, released.text
    tick(page.get_by_label("Valider la demande"))
    page.get_by_role("button", name="Vérifier ma décision").click()
    page.get_by_role("button", name="Confirmer la décision").click()
    summary = page.locator("#formulaire-decision .resume-erreurs")
    summary.get_by_text("Prenez d'abord la demande en charge").wait_for()
    back = page.get_by_role("button", name="Retourner à la file")
    assert back.is_visible()
    site.check("console-decision-refusee")
    back.click()
    page.get_by_role("heading", name="Ma file : DDT-69").wait_for()
    assert school_caller(stack)("GET", f"/requests/{third}")["status_label"] == "En cours d'instruction"
    for other in skipped:
        release_in_console(page, other)


def test_an_agent_rejects_a_request_with_the_keyboard_only_on_a_phone(phone, filed, stack):
    page = sign_in_agent(phone, "instructeur-ddt")
    page.get_by_role("heading", name="Ma file : DDT-69").wait_for()
    phone.check("console-file-telephone")
    page.keyboard.press("Tab")  # the skip links come first
    page.keyboard.press("Enter")  # « Contenu »
    _tab_to(page, "prendre-suivante")
    page.keyboard.press("Enter")
    title = page.locator("#titre-demande")
    title.wait_for()
    number = re.search(r"Demande (\S+)", title.inner_text()).group(1)
    assert number in filed
    phone.check("console-demande-telephone")
    _tab_to(page, "decision-valider")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("#decision-rejeter").is_checked()
    _tab_to(page, "motif-1")  # « Une demande identique est déjà en cours »
    page.keyboard.press("Space")
    assert page.get_by_label("Une demande identique est déjà en cours").is_checked()
    _tab_to(page, "enchainer")  # back to the queue after this decision
    page.keyboard.press("Space")
    assert not page.locator("#enchainer").is_checked()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "verifier-decision"
    page.keyboard.press("Enter")
    page.locator("#bloc-confirmation").get_by_text("Un rejet est définitif").wait_for()
    # The confirmation takes the focus on its button: one more key decides.
    assert page.evaluate("document.activeElement.id") == "confirmer-decision"
    phone.check("console-decision-telephone")
    page.keyboard.press("Enter")
    page.locator("#avis").get_by_text("Décision enregistrée : Rejetée").wait_for()
    assert school_caller(stack)("GET", f"/requests/{number}")["status_label"] == "Rejetée"
    # The school reads why where the status is, and what to do next.
    phone.sign_in(demo_login("auto-ecole"))
    school_page = phone.open(f"demande.html#id={number}")
    expect(school_page.locator("#lecture-motif")).to_contain_text("Une demande identique est déjà en cours")
    expect(school_page.locator("#lecture-indication")).to_contain_text("nouvelle demande")
    phone.check("demande-rejetee-telephone")


def test_the_prefecture_administrator_sees_the_queue_the_dead_letters_and_who_read_a_request(site, filed, stack):
    examined = requests.get(f"{site.api}/staff/requests/{filed[0]}", headers=agent_headers(stack, "instructeur-ddt"),
                            timeout=30)
    assert examined.status_code == 200, examined.text
    page = sign_in_agent(site, "prefecture")
    page.get_by_role("heading", name="Les files de votre ressort : DDT-69").wait_for()
    assert page.locator("#chiffres-admin .console-chiffre").count() == 4
    page.locator("#dlq-liste").get_by_text("Aucun message en échec dans cette file.").wait_for()
    page.get_by_role("button", name="Voir les consultations").click()
    assert "Indiquez le numéro de la demande." in page.locator("#erreur-request_id").inner_text()
    page.get_by_label("Numéro de la demande").fill(filed[0])
    page.get_by_role("button", name="Voir les consultations").click()
    reads = page.locator("#liste-consultations")
    reads.get_by_role("cell", name="La demande").first.wait_for()
    assert "Instructeur DDT" in reads.inner_text()
    site.check("console-administrateur")
    page.get_by_label("File La DDT de votre département ou le CERT").select_option("CERT")
    page.get_by_role("button", name="Afficher / actualiser").click()
    page.get_by_role("heading", name="Les files de votre ressort : CERT").wait_for()


def _tab_to(page, element_id, presses=80):
    """Presses Tab until the element `element_id` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never got the focus with Tab")

