"""The driving school's space in the browser: the dashboard of requests, the 7-step filing with real
files checked by the workers, the summary and submission, the history, and the members."""
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser import school_steps
from tests.browser.conftest import api_session, demo_login

SCHOOL = demo_login("auto-ecole")


def new_email(prefix="candidat"):
    return f"{prefix}.{uuid.uuid4().hex[:10]}@exemple.fr"


def prepared_request(site, steps=("civil_status", "categories"), birth_name="Martin"):
    """A draft made over HTTP (what is not under test here), with the steps the documents depend on."""
    headers = api_session(site.stack, SCHOOL)
    api = site.api

    def call(method, path, payload=None):
        answer = requests.request(method, api + path, json=payload, headers=headers, timeout=10)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    number = call("POST", "/requests", {"procedure": "inscription", "mandate": "sans-mandat"})["request_id"]
    payloads = {
        "civil_status": {"birth_name": birth_name, "first_names": "Hugo", "sex": "M", "birth_date": "2003-02-01",
                         "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}},
        "categories": {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                       "first_request": True},
    }
    for step in steps:
        call("PUT", f"/requests/{number}/steps/{step}", payloads[step])
    return number


def test_a_birth_date_in_the_future_and_an_empty_field_are_shown_next_to_their_field(site):
    site.sign_in(SCHOOL)
    number = prepared_request(site, steps=())
    page = site.open(f"demande.html#id={number}&etape=2")
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    school_steps.fill_civil_status(page, birth_date="2099-01-01")
    page.locator("#civil_status-birth_name").fill("")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    # The form's own check first: the empty name, the summary focused.
    summary = page.locator("#formulaire-civil_status .resume-erreurs")
    expect(summary).to_be_focused()
    expect(page.locator("#erreur-civil_status-birth_name")).to_have_text("Indiquez le nom de naissance du candidat.")
    expect(page.locator("#civil_status-birth_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#erreur-civil_status-birth_date")).to_contain_text("ne peut pas être dans le futur")
    # Day and month typed the other way round: said before anything is stored, naming what to fix.
    page.locator("#civil_status-birth_name").fill("Dupont")
    school_steps.fill_birth_date(page, "civil_status-birth_date", "2006-07-14")
    date = page.locator("#civil_status-birth_date")
    date.get_by_label("Jour").fill("7")
    date.get_by_label("Mois").fill("14")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#erreur-civil_status-birth_date")).to_have_text(
        "Date de naissance : le mois est un nombre de 1 à 12 ; « 14 » ne convient pas. Le jour et le mois sont-ils inversés ?")
    expect(page.locator("#erreur-civil_status-birth_name")).to_be_empty()
    assert "fr-fieldset--error" in (date.get_attribute("class") or "")
    for part in ("Jour", "Mois", "Année"):
        expect(date.get_by_label(part)).to_have_attribute("aria-invalid", "true")
    expect(summary).to_be_focused()
    site.check("demande-etape-2-erreurs")
    # A day that does not exist in the month, then the date right: stored as typed, day first.
    date.get_by_label("Jour").fill("31")
    date.get_by_label("Mois").fill("2")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#erreur-civil_status-birth_date")).to_contain_text("le 31 / 2 / 2006 n'existe pas")
    date.get_by_label("Jour").fill("14")
    date.get_by_label("Mois").fill("7")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("heading", name="Adresse et coordonnées Étape 3 sur 7").wait_for()
    page.get_by_role("link", name=re.compile("^7. Récapitulatif")).click()
    expect(page.locator("#recapitulatif")).to_contain_text("14 juillet 2006")


def test_on_a_phone_a_refused_file_says_why_in_french(phone, tmp_path):
    from PIL import Image

    phone.sign_in(SCHOOL)
    number = prepared_request(phone)
    page = phone.open(f"demande.html#id={number}&etape=6")
    page.get_by_role("heading", name="Pièces justificatives Étape 6 sur 7").wait_for()
    identity = page.locator("#piece-identite")
    identity.wait_for()
    phone.check("demande-etape-6-telephone")
    # Refused before sending: not an image nor a PDF.
    text = tmp_path / "notes.txt"
    text.write_text("pas une image")
    identity.locator('input[type="file"]').set_input_files(str(text))
    identity.get_by_role("button", name=re.compile("^Envoyer le fichier")).click()
    expect(identity.locator(".erreur-champ")).to_contain_text("format non accepté")
    # Refused by the checker: a PNG sent under a .jpg name.
    fake = tmp_path / "photo.jpg"
    Image.effect_noise((900, 700), 60).convert("RGB").save(fake, "PNG")
    identity.locator('input[type="file"]').set_input_files(str(fake))
    identity.get_by_role("button", name=re.compile("^Envoyer le fichier")).click()
    expect(identity.locator(".piece-etat")).to_contain_text("Refusée", timeout=patience.ms(school_steps.CHECK_TIMEOUT_MS))
    expect(identity.locator(".refus")).to_contain_text("en réalité une image PNG")
    expect(identity.locator(".refus")).to_have_attribute("role", "alert")  # read out once, as it arrives
    assert identity.inner_text().count("en réalité une image PNG") == 1  # the reason, said once
    expect(identity.get_by_role("button", name="Remplacer : Justificatif d'identité")).to_be_visible()
    phone.check("demande-etape-6-refus-telephone")
    page.goto(phone.web + f"/demande.html#id={number}&etape=2")
    page.reload()
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    phone.check("demande-etape-2-telephone")
    phone.open("demandes.html")
    page.locator("#contenu-tableau table").wait_for()
    phone.check("tableau-de-bord-telephone")


def test_the_dashboard_filters_by_status_and_finds_a_request_by_its_number_or_name(site):
    site.sign_in(SCHOOL)
    # A name no other test gives: the console tests reject some of the school's requests in the same stack.
    number = prepared_request(site, steps=("civil_status",), birth_name="Aubriot")
    page = site.open("demandes.html")
    page.locator("#contenu-tableau table").wait_for()
    page.locator("#filtre-name").fill(number)
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.locator("#etat-liste")).to_contain_text("1 demande trouvée pour le numéro " + number)
    expect(page.locator("#contenu-tableau tbody tr")).to_have_count(1)
    expect(page.locator("#contenu-tableau tbody")).to_contain_text("Hugo Aubriot")
    expect(page.get_by_role("link", name=f"Compléter la demande n° {number} (Hugo Aubriot)")).to_be_visible()

    page.locator("#filtre-name").fill("999999999999")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.locator("#etat-liste")).to_contain_text("Aucune demande n° 999999999999 dans votre espace")
    expect(page.locator("#tableau-demandes")).to_be_hidden()

    page.locator("#filtre-name").fill("Aubriot")
    page.locator("#filtre-status").select_option("brouillon")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.locator("#etat-liste")).to_contain_text("correspondant aux filtres")
    expect(page.get_by_role("link", name=number, exact=True)).to_be_visible()
    for badge in page.locator("#contenu-tableau tbody .fr-badge").all():
        assert badge.inner_text().strip().lower() == "brouillon"
    site.check("tableau-de-bord-filtre")

    page.locator("#filtre-status").select_option("rejetee")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.locator("#etat-liste")).to_contain_text("Aucune demande ne correspond à ces filtres.")
    page.get_by_role("button", name="Effacer les filtres").click()
    expect(page.get_by_role("link", name=number, exact=True)).to_be_visible()


def test_the_menus_new_request_link_brings_the_form_and_a_transfer_is_refused_in_french(site):
    site.sign_in(SCHOOL)
    page = site.open("demandes.html")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Nouvelle demande").click()
    expect(page.locator("#titre-nouvelle")).to_be_focused()
    page.get_by_role("button", name="Commencer la demande").click()
    expect(page.locator("#erreur-nouvelle-procedure")).to_have_text("Choisissez la démarche.")
    page.locator("#transfert-request_id").fill("12345")
    page.get_by_role("button", name="Reprendre la demande").click()
    expect(page.locator("#erreur-transfert-request_id")).to_have_text("Le numéro de la demande compte 12 chiffres.")
    expect(page.locator("#erreur-transfert-former_agrement")).not_to_be_empty()
    page.locator("#transfert-request_id").fill("999999999999")
    page.locator("#transfert-former_agrement").fill("E0069000001")
    page.get_by_role("button", name="Reprendre la demande").click()
    summary = page.locator("#formulaire-transfert .resume-erreurs")
    expect(summary).to_be_focused()
    expect(summary).not_to_be_empty()
    site.check("tableau-de-bord-erreurs")


def test_the_school_invites_a_colleague_and_removes_them_after_confirming(site):
    site.sign_in(SCHOOL)
    page = site.open("membres.html")
    page.locator("#contenu-membres table").wait_for()
    expect(page.locator("#contenu-membres")).to_contain_text("(vous)")
    site.check("membres-large")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("#erreur-invitation-email")).to_have_text("Indiquez l'adresse électronique de votre collègue.")
    page.locator("#invitation-birth_name").fill("Bernard")
    page.locator("#invitation-first_name").fill("Chloé")
    page.locator("#invitation-email").fill("pas-une-adresse")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("#erreur-invitation-email")).not_to_be_empty()
    expect(page.locator("#invitation-email")).to_have_attribute("aria-invalid", "true")
    site.check("membres-invitation-erreurs")
    email = new_email("chloe")
    page.locator("#invitation-email").fill(email)
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("#etat-invitation")).not_to_be_empty()
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("En attente d'activation")

    # Removing oneself: the API's refusal, in French.
    me = page.get_by_role("row").filter(has_text="(vous)")
    me.get_by_role("button", name=re.compile("^Retirer")).click()
    page.get_by_role("button", name="Oui, retirer").click()
    expect(page.locator("#etat-membres")).to_contain_text("Vous ne pouvez pas vous retirer vous-même")

    row.get_by_role("button", name="Retirer Chloé Bernard").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Retirer Chloé Bernard ?")
    expect(page.get_by_role("button", name="Oui, retirer")).to_be_focused()
    site.check("membres-confirmation")
    page.get_by_role("button", name="Annuler").click()
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    row.get_by_role("button", name="Retirer Chloé Bernard").click()
    page.get_by_role("button", name="Oui, retirer").click()
    expect(page.locator("#etat-membres")).to_contain_text("n'a plus accès")
    expect(page.get_by_role("row").filter(has_text=email)).to_have_count(0)


def test_the_contact_step_is_filled_with_the_keyboard_only(site):
    site.sign_in(SCHOOL)
    number = prepared_request(site, steps=("civil_status",))
    page = site.open(f"demande.html#id={number}&etape=3")
    page.get_by_role("heading", name="Adresse et coordonnées Étape 3 sur 7").wait_for()
    page.locator("#contact-address-number").focus()
    keyboard = page.keyboard
    keyboard.type("12")
    keyboard.press("Tab")  # extension: none
    keyboard.press("Tab")
    keyboard.type("Rue")  # the street type list, by typing its first letters
    expect(page.locator("#contact-address-street_type")).to_have_value("RUE")
    keyboard.press("Tab")
    keyboard.type("de la République")
    keyboard.press("Tab")  # complement
    keyboard.press("Tab")
    keyboard.type("69002")
    expect(page.locator("#contact-address-commune")).to_be_enabled()
    expect(page.locator("#contact-address-commune")).to_have_value("69382")
    keyboard.press("Tab")  # commune (the only one of this postal code)
    keyboard.press("Tab")
    expect(page.locator("#contact-email")).to_be_focused()
    keyboard.type(new_email())
    keyboard.press("Tab")
    keyboard.type("06 12 34 56 78")
    keyboard.press("Enter")
    page.get_by_role("heading", name="Catégories et formation Étape 4 sur 7").wait_for()
    expect(page.locator("#titre-etape-4")).to_be_focused()
    expect(page.locator("#brouillon-enregistre")).to_contain_text("Brouillon enregistré le")
    # The step list: the contact step is recorded.
    expect(page.locator("#etapes")).to_contain_text("3. Adresse et coordonnées : Enregistrée")


# Last: the stack has started for the shorter tests; the checker works in the background (busy machine).
@pytest.mark.timeout(300)
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
