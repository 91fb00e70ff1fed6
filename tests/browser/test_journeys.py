"""Every journey of issue 17 walked to its end by clicking, at 375 px (a phone) and 1280 px, with axe,
English and status checks on every page visited (Site.check). Nothing a person does on a page is
done here through the API in its place: what is prepared over HTTP is what comes before the journey,
the examiner's results and the partners' events (journey_support.py)."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import NARROW, WIDE, api_session, demo_login, tick
from tests.browser.console_steps import (
    MFA_CODE, agent_headers, decide_in_console, sign_in_agent, validate_next_in_console)
from tests.browser.journey_support import (
    CANDIDATE_PASSWORD, activated_candidate, exams_passed, partner, production_filed, random_birth_date,
    registration_with_neph, unique_email)
from tests.browser.school_steps import (
    CHECK_TIMEOUT_MS, SLOW_MS, fill_categories, fill_civil_status, fill_contact, fill_declarations,
    file_registration_in_browser, go_to_step, save_step, scan_jpeg, send_documents, start_request,
    steps_four_to_six, submit)
from tests.stack_support import email_links, mail_to, wait_for

VIEWPORTS = pytest.mark.parametrize("viewport", [NARROW, WIDE], ids=["375px", "1280px"])
HOMES = {"auto-ecole": "demandes.html", "candidat": "demandes.html", "mediateur": "demandes.html",
         "instructeur-ddt": "console.html", "prefecture": "console.html", "inspecteur": "examen.html"}


def snap(site, viewport):
    """site.check with the window's width in the screenshot's name."""
    return lambda name: site.check(f"parcours-{name}-{viewport['width']}")


def ask_complement_in_console(agent, number, document, reason, details):
    """The agent claims `number` in the console and asks for a complement naming `document`."""
    def complement(page):
        tick(page.get_by_label("Demander un complément"))
        tick(page.get_by_label(document, exact=True))
        tick(page.get_by_label(reason))
        page.get_by_label("Précisions").fill(details)

    assert "Complément demandé" in decide_in_console(agent, number, complement)


def download(site, button, tmp_path, name):
    with site.page.expect_download(timeout=patience.ms(30_000)) as started:
        button.click()
    saved = tmp_path / name
    started.value.save_as(saved)
    return saved.read_bytes()


@VIEWPORTS
def test_registration_complement_answered_on_the_page_then_validated_and_the_attestation_downloaded(
        new_site, stack, tmp_path, viewport):
    school = new_site(viewport)
    page = school.sign_in(demo_login("auto-ecole"))
    expect(page).to_have_url(re.compile(r"/demandes\.html"))  # the school lands on its requests
    email = unique_email("camille")
    number = file_registration_in_browser(school, email, check=snap(school, viewport))
    expect(page.locator("#lecture-statut")).to_contain_text("Attente validation usager")
    expect(page.locator("#lecture-indication")).to_contain_text("Au candidat")

    # The candidate: the one email, the password chosen once, and they are on the request to validate.
    candidate = new_site(viewport)
    [link] = [link for link in email_links(mail_to(stack, email)) if "activation.html#jeton=" in link]
    assert f"demande={number}" in link
    phone = candidate.page
    phone.goto(link)
    phone.locator("#password").fill(CANDIDATE_PASSWORD)
    phone.locator("#confirmation").fill(CANDIDATE_PASSWORD)
    snap(candidate, viewport)("activation")
    phone.get_by_role("button", name="Activer mon compte").click()
    phone.wait_for_url(f"**/valider.html#demande={number}", timeout=patience.ms(45_000))  # no second password
    expect(phone.locator("#avis")).to_contain_text("vous êtes connecté")
    expect(phone.locator("#entete")).to_contain_text("À valider par vous")
    expect(phone.locator("#informations")).to_contain_text("Dupont")
    # The documents the school joined can be seen before validating: a thumbnail of each image.
    expect(phone.locator("#pieces img.vignette").first).to_be_visible(timeout=patience.ms(SLOW_MS))
    # Something wrong? Who to tell, and how: the school's address, and the support about this request.
    phone.get_by_role("button", name="Une information n'est pas correcte").click()
    wrong = phone.locator("#bloc-pas-correct")
    expect(wrong).to_contain_text("lui écrire par courrier : ")
    expect(wrong.get_by_role("link", name=re.compile("Contact et aide"))).to_have_attribute(
        "href", f"contact.html#demande={number}")
    snap(candidate, viewport)("valider")
    phone.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    expect(phone.get_by_text("Demande validée").first).to_be_visible(timeout=patience.ms(30_000))

    # The DDT agent asks for a complement in the console.
    agent = new_site(viewport)
    sign_in_agent(agent, "instructeur-ddt")
    ask_complement_in_console(agent, number, "Justificatif de domicile de moins de 6 mois",
                              "Le justificatif de domicile a plus de 6 mois",
                              "Merci de joindre une facture de moins de 6 mois.")

    # The school: the reasons at the top of the page, the named document replaced, the request sent back.
    page = school.open(f"demande.html#id={number}")
    block = page.locator("#bloc-complement")
    expect(block).to_contain_text("Le justificatif de domicile a plus de 6 mois")
    expect(block).to_contain_text("Merci de joindre une facture de moins de 6 mois.")
    expect(page.locator("#lecture-indication")).to_contain_text("À vous")
    piece = block.locator("#piece-domicile")
    expect(piece).to_contain_text("À remplacer")
    snap(school, viewport)("complement-demande")
    piece.locator('input[type="file"]').set_input_files(str(scan_jpeg(tmp_path, "facture.jpg")))
    piece.get_by_role("button", name=re.compile("^Envoyer le fichier")).click()
    expect(piece.locator(".piece-etat")).to_contain_text("Acceptée", timeout=patience.ms(CHECK_TIMEOUT_MS))
    expect(piece.locator("img.vignette")).to_be_visible(timeout=patience.ms(SLOW_MS))
    expect(page.locator("#etat-complement")).to_contain_text("renvoyez maintenant la demande")
    snap(school, viewport)("complement-remplace")
    page.get_by_role("button", name="Renvoyer la demande à l'instructeur").click()
    expect(page.locator("#avis")).to_contain_text("renvoyée à l'instructeur", timeout=patience.ms(SLOW_MS))
    expect(page.locator("#bloc-complement")).to_be_hidden()

    # The agent: back first in the queue, validated; the NEPH is given.
    message = validate_next_in_console(agent, number)
    neph = re.search(r"\b(\d{12})\b", message.replace(number, ""))
    assert neph, message
    snap(agent, viewport)("console-apres-decision")

    # The school: its dashboard says it is validated and what comes next; the attestation downloads.
    dashboard = school.open("demandes.html")
    row = dashboard.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Validée", timeout=patience.ms(30_000))
    expect(row.locator("[data-prochaine-etape]")).not_to_be_empty()
    snap(school, viewport)("tableau-de-bord-validee")
    row.get_by_role("link").first.click()
    button = school.page.get_by_role("button", name="Télécharger l'attestation")
    expect(button).to_be_visible(timeout=patience.ms(30_000))
    expect(school.page.locator("main")).to_contain_text(neph.group(1))
    snap(school, viewport)("demande-validee")
    headers = api_session(stack, demo_login("auto-ecole"))
    wait_for(lambda: requests.get(f"{school.api}/requests/{number}/attestations/inscription", headers=headers,
                                  timeout=10).status_code == 200, "the attestation to be rendered")
    assert download(school, button, tmp_path, "attestation.pdf").startswith(b"%PDF")
    # The history credits each move to who made it: the automatic ones to nobody.
    history = school.page.locator("#historique")
    expect(history).to_contain_text("Automatiquement")


@VIEWPORTS
def test_the_production_request_after_the_exams_is_sent_validated_by_the_candidate_and_the_cert(
        new_site, stack, viewport):
    email = unique_email("jade")
    registration, neph, _ = registration_with_neph(stack, email, birth_name="Petit", first_names="Jade",
                                                   birth_date=random_birth_date())
    production = exams_passed(stack, neph)

    # The school finds the production request from the registration's page, completes it, sends it.
    school = new_site(viewport)
    school.sign_in(demo_login("auto-ecole"))
    page = school.open(f"demande.html#id={registration}")
    link = page.get_by_role("link", name=f"Demande de fabrication du titre n° {production}")
    expect(link).to_be_visible(timeout=patience.ms(30_000))
    link.click()
    page.get_by_role("heading", name=re.compile("Étape")).first.wait_for()
    go_to_step(page, "6. Pièces justificatives", "Pièces justificatives Étape 6 sur 7")
    send_documents(school, check=lambda: snap(school, viewport)("production-pieces"))
    submit(page, check=lambda: snap(school, viewport)("production-recapitulatif"), name="Petit")
    expect(page.locator("#lecture-statut")).to_contain_text("Attente validation usager")

    # The candidate (an account already): the email's link, signed in, back on the request, validated.
    candidate = new_site(viewport)
    mail = mail_to(stack, email, matching="validez")
    [link] = [link for link in email_links(mail) if f"valider.html#demande={production}" in link]
    phone = candidate.page
    phone.goto(link)
    phone.wait_for_url("**/connexion.html")
    phone.get_by_role("textbox", name="Adresse électronique").fill(email)
    phone.locator("#password").fill(CANDIDATE_PASSWORD)
    phone.get_by_role("button", name="Se connecter", exact=True).last.click()
    phone.wait_for_url(f"**/valider.html#demande={production}")
    snap(candidate, viewport)("production-valider")
    phone.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    expect(phone.get_by_text("Demande validée").first).to_be_visible(timeout=patience.ms(30_000))

    # The CERT agent validates it in the console: the licence goes into production.
    agent = new_site(viewport)
    sign_in_agent(agent, "instructeur-cert")
    validate_next_in_console(agent, production)
    page = school.open(f"demande.html#id={production}")
    expect(page.locator("#lecture-statut")).to_contain_text("Titre en production", timeout=patience.ms(30_000))
    snap(school, viewport)("production-en-fabrication")


@VIEWPORTS
def test_a_candidate_files_alone_and_follows_the_request_to_its_attestation(new_site, stack, tmp_path, viewport):
    email = unique_email("ines")
    api = stack["urls"]["api"]
    from tests.stack_support import altcha

    opened = requests.post(api + "/accounts/candidates", timeout=30, json={
        "birth_name": "Durand", "first_names": "Inès", "sex": "F", "birth_date": "2005-03-04",
        "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}, "email": email,
        "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002",
                    "commune": "69382"}, "mobile_phone": "06 11 22 33 44", "altcha": altcha(api),
        "terms_accepted": True})
    assert opened.status_code == 201, opened.text
    activated_candidate(stack, email)

    candidate = new_site(viewport)
    page = candidate.sign_in(email, password=CANDIDATE_PASSWORD)
    expect(page).to_have_url(re.compile(r"/demandes\.html"))  # the candidate lands on their requests
    number = start_request(candidate, mandate=None)  # a candidate files in one mode: their own request
    # Steps 2 and 3 start from the account's data.
    expect(page.locator("#civil_status-birth_name")).to_have_value("Durand")
    expect(page.locator("#civil_status-birth_date-annee")).to_have_value("2005")
    snap(candidate, viewport)("seul-etat-civil")
    save_step(page, "Adresse et coordonnées Étape 3 sur 7")
    expect(page.locator("#contact-email")).to_have_value(email)
    steps_four_to_six(candidate)
    submit(page, check=lambda: snap(candidate, viewport)("seul-recapitulatif"), name="Durand")
    expect(page.locator("#lecture-statut")).not_to_contain_text("Brouillon")

    agent = new_site(viewport)
    sign_in_agent(agent, "instructeur-ddt")
    validate_next_in_console(agent, number)
    page = candidate.open(f"demande.html#id={number}")
    button = page.get_by_role("button", name="Télécharger l'attestation")
    expect(button).to_be_visible(timeout=patience.ms(30_000))
    expect(page.locator("#lecture-indication")).to_contain_text("examen")
    snap(candidate, viewport)("seul-validee")
    headers = api_session(stack, email, password=CANDIDATE_PASSWORD)
    wait_for(lambda: requests.get(f"{api}/requests/{number}/attestations/inscription", headers=headers,
                                  timeout=10).status_code == 200, "the attestation to be rendered")
    assert download(candidate, button, tmp_path, "attestation.pdf").startswith(b"%PDF")


@VIEWPORTS
def test_a_mediator_files_with_consent_and_the_person_s_news_comes_as_a_letter_to_post(new_site, stack, viewport):
    mediator = new_site(viewport)
    page = mediator.sign_in(demo_login("mediateur"))
    expect(page).to_have_url(re.compile(r"/demandes\.html"))
    number = start_request(mediator, mandate=None)  # a mediator files in one mode: with the person's consent
    expect(page.locator("#lien-tableau")).to_have_text("Demandes accompagnées")  # the breadcrumb names its list
    fill_civil_status(page)
    save_step(page, "Adresse et coordonnées Étape 3 sur 7")
    fill_contact(page, "")
    page.locator("#contact-mobile_phone").fill("")  # neither email nor mobile: news by post
    expect(page.locator("#aide-contact-mediation")).to_contain_text("par courrier")
    snap(mediator, viewport)("mediation-sans-courriel")
    steps_four_to_six(mediator)
    page.get_by_role("link", name="Continuer vers le récapitulatif").click()
    page.get_by_role("heading", name="Récapitulatif et dépôt Étape 7 sur 7").wait_for()
    expect(page.locator("#manques")).to_contain_text("Consentement de la personne accompagnée")
    form = page.locator("#formulaire-consent")
    expect(form.locator("#consent-birth_name")).to_have_value("Dupont")  # from the civil status
    form.locator("#consent-method").select_option("oral-en-presence")
    form.locator("#consent-consented_on").fill(page.evaluate("new Date().toISOString().slice(0, 10)"))
    form.get_by_role("button", name="Enregistrer le consentement").click()
    expect(page.locator("#avis")).to_contain_text("Consentement enregistré", timeout=patience.ms(SLOW_MS))
    expect(page.locator("#etat-recapitulatif")).to_contain_text("La demande est complète", timeout=patience.ms(SLOW_MS))
    expect(page.locator("#entete")).to_contain_text("France Services de Villeurbanne")
    snap(mediator, viewport)("mediation-recapitulatif")
    page.get_by_role("button", name="Déposer la demande").click()
    expect(page.locator("#avis")).to_contain_text("La demande est déposée", timeout=patience.ms(SLOW_MS))
    expect(page.locator("#entete")).to_contain_text("consentement de Léa Dupont")

    agent = new_site(viewport)
    sign_in_agent(agent, "instructeur-ddt")
    validate_next_in_console(agent, number)

    # The person has no email nor mobile: the news is a letter the mediator prints.
    def letter_listed():
        shown = mediator.open("courriers.html")
        return number in shown.locator("main").inner_text()

    wait_for(letter_listed, "the letter announcing the validation", timeout=120)
    snap(mediator, viewport)("mediation-courrier")


@VIEWPORTS
def test_a_licence_returned_by_the_post_office_is_asked_again_and_sent_again(new_site, stack, viewport):
    email = unique_email("lucas")
    _, neph, candidate_headers = registration_with_neph(stack, email, birth_name="Roux", first_names="Lucas",
                                                        birth_date=random_birth_date())
    production = exams_passed(stack, neph)
    production_filed(stack, production, candidate_headers)
    for step in ("expedier", "aviser", "retourner"):
        partner(stack, step, production)

    school = new_site(viewport)
    school.sign_in(demo_login("auto-ecole"))
    page = school.open(f"demande.html#id={production}")
    expect(page.locator("#lecture-statut")).to_contain_text("Retourné", timeout=patience.ms(30_000))
    expect(page.locator("#lecture-indication")).to_contain_text("6 mois")
    snap(school, viewport)("titre-retourne")
    page.get_by_role("button", name="Demander un nouvel envoi du titre").click()
    expect(page.locator("#avis")).to_contain_text("nouvel envoi du titre est demandé", timeout=patience.ms(SLOW_MS))
    expect(page.get_by_role("button", name="Demander un nouvel envoi du titre")).to_have_count(0)
    expect(page.locator("#historique")).to_contain_text("Renvoi du permis demandé")
    partner(stack, "expedier", production)
    page = school.open(f"demande.html#id={production}")
    expect(page.locator("#lecture-statut")).to_contain_text("Titre expédié", timeout=patience.ms(30_000))
    snap(school, viewport)("titre-renvoye")


@VIEWPORTS
def test_a_draft_is_deleted_with_its_documents(new_site, stack, tmp_path, viewport):
    school = new_site(viewport)
    school.sign_in(demo_login("auto-ecole"))
    page = school.page
    number = start_request(school)
    fill_civil_status(page)
    save_step(page, "Adresse et coordonnées Étape 3 sur 7")
    go_to_step(page, "4. Catégories", "Catégories et formation Étape 4 sur 7")
    fill_categories(page)
    save_step(page, "Déclarations Étape 5 sur 7")
    go_to_step(page, "6. Pièces justificatives", "Pièces justificatives Étape 6 sur 7")
    piece = page.locator("#piece-identite")
    piece.locator('input[type="file"]').set_input_files(str(scan_jpeg(tmp_path)))
    piece.get_by_role("button", name=re.compile("^Envoyer le fichier")).click()
    expect(piece.locator(".piece-etat")).to_contain_text("Acceptée", timeout=patience.ms(CHECK_TIMEOUT_MS))
    # What was sent can be seen again after a reload: its thumbnail, larger on demand.
    page.reload()
    page.get_by_role("heading", name="Pièces justificatives Étape 6 sur 7").wait_for()
    image = page.locator("#piece-identite img.vignette")
    expect(image).to_be_visible(timeout=patience.ms(SLOW_MS))
    page.locator("#piece-identite").get_by_role("button", name=re.compile("^Agrandir l'aperçu")).click()
    expect(image).to_have_class(re.compile("vignette--grande"))
    snap(school, viewport)("brouillon-apercu")

    page.get_by_role("button", name="Supprimer ce brouillon").click()
    confirmation = page.locator("#confirmation-suppression")
    expect(confirmation).to_contain_text(f"Le brouillon n° {number} et toutes ses pièces justificatives")
    snap(school, viewport)("brouillon-suppression")
    confirmation.get_by_role("button", name="Non, le garder").click()
    expect(confirmation).to_be_hidden()
    page.get_by_role("button", name="Supprimer ce brouillon").click()
    confirmation.get_by_role("button", name="Oui, supprimer le brouillon").click()
    page.wait_for_url("**/demandes.html")
    expect(page.locator("#avis")).to_contain_text(f"{number} a été supprimée")
    expect(page.locator("#etat-liste")).not_to_contain_text("Chargement")
    expect(page.locator("#contenu-tableau")).not_to_contain_text(number)  # gone from the list at once
    snap(school, viewport)("brouillon-supprime")
    page = school.open(f"demande.html#id={number}")
    expect(page.locator("#chargement")).to_contain_text("Aucune demande de votre espace ne porte ce numéro",
                                                        timeout=patience.ms(SLOW_MS))


@VIEWPORTS
def test_a_reload_in_the_middle_of_a_step_keeps_what_was_typed(new_site, stack, viewport):
    school = new_site(viewport)
    school.sign_in(demo_login("auto-ecole"))
    page = school.page
    number = start_request(school)
    page.locator("#civil_status-birth_name").fill("Lefèvre")
    page.locator("#civil_status-first_names").fill("Zoé Marie")
    date = page.locator("#civil_status-birth_date")
    date.get_by_label("Jour").fill("14")
    date.get_by_label("Mois").fill("7")  # the year not typed yet
    expect(page.locator("#brouillon-enregistre")).to_contain_text(re.compile(r"Brouillon enregistré à \d\d:\d\d"),
                                                                    timeout=patience.ms(SLOW_MS))
    snap(school, viewport)("saisie-enregistree")
    page.reload()
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    expect(page.locator("#civil_status-birth_name")).to_have_value("Lefèvre")
    expect(page.locator("#civil_status-first_names")).to_have_value("Zoé Marie")
    expect(date.get_by_label("Jour")).to_have_value("14")
    expect(date.get_by_label("Mois")).to_have_value("7")
    expect(page.locator("#avis")).to_contain_text("Votre saisie non enregistrée a été conservée")
    snap(school, viewport)("saisie-reprise")

    # Leaving at once after typing asks first (the browser's own question); staying keeps the page.
    page.locator("#civil_status-birth_place-commune").fill("Villeurbanne")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate("window.location.assign('demandes.html')")
    wait_for(lambda: asked, "the question before leaving")
    assert asked == ["beforeunload"]
    assert page.url.endswith(f"demande.html#id={number}")


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_lands_on_its_own_space_after_signing_in(site, role):
    if role in ("instructeur-ddt", "prefecture", "inspecteur"):
        agent_headers(site.stack, role)  # the double authentication set up, as the agents' first time does
        page = site.sign_in(demo_login(role), code=MFA_CODE)
    else:
        page = site.sign_in(demo_login(role))
    expect(page).to_have_url(re.compile("/" + re.escape(HOMES[role])))
    # One name for one's account, in the header's tools and in the menu.
    expect(page.locator("header").get_by_role("link", name="Mon compte").first).to_be_visible()
    assert page.get_by_text("Mon espace", exact=True).count() == 0
