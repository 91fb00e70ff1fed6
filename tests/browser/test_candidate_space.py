"""The candidate's space: validating the request a school filed (from the email's link, with the
identity divergence and its fix), and the account page of every role (see, correct, export, close,
sign out everywhere, the agents' double authentication)."""
import json
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import NARROW, WIDE, api_session, demo_login
from tests.browser.journey_support import CANDIDATE_PASSWORD, new_agent
from tests.stack_support import altcha, email_links, link_token, mail_to, school_files_registration

PASSWORD = "le code de la route 2026"
ADDRESS = {"number": "12", "street_type": "RUE", "street_name": "de la République", "postal_code": "69002",
           "commune": "69382"}


def unique_email(name):
    return f"{name}.{uuid.uuid4().hex[:8]}@exemple.fr"


def school_files(stack, email, birth_name="Dupont", first_names="Léa"):
    """The demo school files a request without mandate for `email` (as tests/e2e does); its number."""
    return school_files_registration(stack, email, birth_name=birth_name, first_names=first_names)


def candidate_account(stack, email, birth_name="Dupont", first_names="Léa"):
    """A candidate's own account (sign-up then activation from the local mailbox)."""
    api = stack["urls"]["api"]
    created = requests.post(api + "/accounts/candidates", timeout=10, json={
        "birth_name": birth_name, "first_names": first_names, "sex": "F", "birth_date": "2004-05-06",
        "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"},
        "email": email, "mobile_phone": "0712345678", "address": ADDRESS,
        "altcha": altcha(api), "terms_accepted": True})
    assert created.status_code == 201, created.text
    activated = requests.post(api + "/accounts/activation", timeout=10,
                              json={"token": link_token(mail_to(stack, email)), "password": PASSWORD})
    assert activated.status_code == 200, activated.text


def sign_in_here(page, email, password=PASSWORD):
    """Fills the sign-in page the person was sent to (the wish to come back stays)."""
    page.get_by_role("textbox", name="Adresse électronique").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).last.click()


def validation_link(stack, email):
    mail = mail_to(stack, email, matching="validez")
    [link] = [link for link in email_links(mail) if "valider.html#demande=" in link]
    return link


def tab_to(page, element_id, limit=60):
    """Presses Tab until the element with that id has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    pytest.fail(f"#{element_id} never got the focus with Tab")


def test_from_the_email_link_a_new_candidate_signs_in_comes_back_and_validates_with_the_keyboard(site, stack, new_site):
    email = unique_email("lea.dupont")
    number = school_files(stack, email)
    mail = mail_to(stack, email)  # the account's activation, which leads to the request
    assert f"demande={number}" in mail["html"]
    assert requests.post(stack["urls"]["api"] + "/accounts/activation", timeout=10,
                         json={"token": link_token(mail), "password": PASSWORD}).status_code == 200

    page = site.open(f"valider.html#demande={number}")
    page.wait_for_url("**/connexion.html")
    expect(page.locator("#avis")).to_contain_text(f"valider la demande n° {number}")
    sign_in_here(page, email)
    page.wait_for_url(f"**/valider.html#demande={number}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Vérifier et valider la demande n° {number}")
    expect(page.locator("#bloc-demande")).to_contain_text("Auto-école de la Part-Dieu")
    expect(page.locator("#entete")).to_contain_text("À valider par vous")
    expect(page.locator("#informations")).to_contain_text("Dupont")
    expect(page.locator("#echeance")).to_contain_text("À valider au plus tard le")
    site.check("valider-large")

    # "Une information n'est pas correcte": what to do, without validating.
    page.get_by_role("button", name="Une information n'est pas correcte").click()
    expect(page.locator("#bloc-pas-correct")).to_contain_text("Elle reprend la demande, la corrige et vous la renvoie")

    phone = new_site(NARROW)
    phone.sign_in(email, PASSWORD)
    phone.open(f"valider.html#demande={number}")
    expect(phone.page.locator("#bloc-validation")).to_be_visible()
    phone.check("valider-telephone")

    # Keyboard only: Tab to the button, Enter.
    page.locator("#contenu").focus()
    tab_to(page, "valider")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Demande validée")).to_be_visible(timeout=patience.ms(30_000))  # the stack may be busy
    expect(page.locator("#message-fin")).to_contain_text("la demande est validée")
    assert page.evaluate("() => document.activeElement.id") == "bloc-fin"
    expect(page.get_by_role("link", name="Je donne mon avis")).to_be_visible()
    site.check("valider-validee")


def test_an_identity_divergence_names_the_field_and_the_candidate_fixes_the_account_then_validates(site, stack, new_site):
    email = unique_email("marie.durand")
    candidate_account(stack, email, birth_name="Durand", first_names="Mari")  # a typo in the account
    number = school_files(stack, email, birth_name="Durand", first_names="Marie")
    link = validation_link(stack, email)
    assert link.endswith(f"valider.html#demande={number}")

    page = site.sign_in(email, PASSWORD)
    page.goto(site.web + f"/valider.html#demande={number}")
    page.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    alert = page.locator("#alerte-divergence")
    expect(alert).to_be_focused()
    expect(alert).to_contain_text("Votre identité ne correspond pas à celle de la demande")
    expect(alert).to_contain_text("Prénoms")
    row = page.locator("#champs-divergence li")
    expect(row).to_have_count(1)
    expect(row.locator("p")).to_have_text("Prénoms")
    expect(row.locator("dd").nth(0)).to_have_text("Mari")
    expect(row.locator("dd").nth(1)).to_have_text("Marie")
    expect(page.locator("#bloc-divergence")).to_contain_text("La demande est erronée")
    site.check("valider-divergence-large")

    phone = new_site(NARROW)
    phone.sign_in(email, PASSWORD)
    phone.open(f"valider.html#demande={number}")
    phone.page.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    expect(phone.page.locator("#alerte-divergence")).to_be_visible()
    phone.check("valider-divergence-telephone")

    # Fix the account right there: only the differing field is asked, a wrong value is refused first.
    page.get_by_role("button", name="Corriger mes données").click()
    field = page.get_by_label("Prénoms")
    expect(field).to_have_value("Mari")
    expect(page.locator("#correction-birth_name")).to_be_hidden()
    expect(page.locator("#aide-first_names")).to_have_text("Dans la demande : Marie")
    field.fill("Marie 2")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.locator("#erreur-correction-first_names")).to_contain_text("que des lettres, des espaces")
    expect(page.locator("#formulaire-correction .resume-erreurs")).to_be_focused()
    site.check("valider-divergence-correction-erreur")
    field.fill("Marie")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.locator("#avis")).to_contain_text("Vos données sont corrigées")
    expect(page.locator("#bloc-divergence")).to_be_hidden()
    page.get_by_role("button", name="Je confirme ces informations et je valide la demande").click()
    expect(page.get_by_role("heading", name="Demande validée")).to_be_visible(timeout=patience.ms(30_000))  # the stack may be busy
    me = requests.get(stack["urls"]["api"] + "/me", headers=api_session(stack, email, PASSWORD), timeout=10).json()
    assert me["first_names"] == "Marie"


def test_a_candidate_sees_corrects_exports_their_data_signs_out_everywhere_and_closes_the_account(site, stack, new_site):
    email = unique_email("jeanne.petit")
    candidate_account(stack, email, birth_name="Petit", first_names="Jeanne")
    page = site.sign_in(email, PASSWORD)
    page.goto(site.web + "/espace.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    infos = page.locator("#infos")
    expect(infos).to_contain_text("Petit")
    expect(infos).to_contain_text("6 mai 2004")
    expect(infos).to_contain_text("Lyon (69)")
    expect(infos).to_contain_text("07 12 34 56 78")
    expect(infos).to_contain_text("12 Rue de la République, 69002 Lyon")
    expect(page.get_by_role("link", name="Mes demandes").last).to_be_visible()
    site.check("espace-candidat-large")

    # Correct: an empty name and a wrong phone are named next to their fields, then the right values.
    page.get_by_role("button", name="Corriger mes informations").click()
    expect(page.locator("#address-commune")).to_have_value("69382")
    page.get_by_label("Nom de naissance").fill("")
    page.get_by_label("Téléphone portable").fill("123")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.locator("#erreur-birth_name")).to_have_text("Indiquez votre nom de naissance.")
    expect(page.locator("#birth_name")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Nom de naissance").fill("Petit-Martin")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.locator("#erreur-mobile_phone")).to_contain_text("numéro de téléphone portable n'est pas valide")
    expect(page.locator("#formulaire-infos .resume-erreurs")).to_be_focused()
    site.check("espace-candidat-correction-erreur")
    page.get_by_label("Téléphone portable").fill("06 98 76 54 32")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.locator("#avis")).to_contain_text("Vos informations sont corrigées.")
    expect(infos).to_contain_text("Petit-Martin")
    expect(infos).to_contain_text("06 98 76 54 32")

    # Export: a JSON file with the corrected name.
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données").click()
    assert download.value.suggested_filename == "mes-donnees-permis-en-ligne.json"
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert exported["account"]["birth_name"] == "Petit-Martin" and exported["account"]["email"] == email

    # Signing out everywhere: another device's session ends too (its refresh token is refused).
    other = new_site(NARROW)
    other.sign_in(email, PASSWORD)
    other.open("espace.html")
    other.check("espace-candidat-telephone")
    old_refresh = other.page.evaluate("() => sessionStorage.getItem('permis.refresh_token')")
    page.get_by_role("button", name="Se déconnecter de tous les appareils").click()
    page.wait_for_url("**/connexion.html")
    expect(page.locator("#avis")).to_contain_text("sur cet appareil et sur les autres")
    assert requests.post(stack["urls"]["api"] + "/sessions/refresh", json={"refresh_token": old_refresh},
                         timeout=10).status_code == 401
    other.page.get_by_role("link", name="Mes demandes").last.click()
    other.page.wait_for_url("**/connexion.html")
    expect(other.page.locator("#avis")).to_contain_text("connectez-vous de nouveau")

    # Closing the account: a confirmation that says what happens, then the account is gone.
    page = site.sign_in(email, PASSWORD)
    page.goto(site.web + "/espace.html")
    page.get_by_role("button", name="Clore mon compte").click()
    confirmation = page.locator("#confirmation-clore")
    expect(confirmation).to_contain_text("vos données personnelles sont effacées")
    page.get_by_role("button", name="Non, garder mon compte").click()
    expect(confirmation).to_be_hidden()
    page.get_by_role("button", name="Clore mon compte").click()
    site.check("espace-candidat-clore")
    page.get_by_role("button", name="Oui, clore définitivement mon compte").click()
    page.wait_for_url("**/connexion.html")
    expect(page.locator("#avis")).to_contain_text("Votre compte est clos")
    assert requests.post(stack["urls"]["api"] + "/sessions", json={"email": email, "password": PASSWORD},
                         timeout=10).status_code == 401


def test_a_school_manager_sees_the_account_and_the_link_to_the_members(site, phone):
    page = site.sign_in(demo_login("auto-ecole"))
    page.goto(site.web + "/espace.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("link", name="Gérer les membres de l'auto-école")).to_have_attribute("href", "membres.html")
    expect(page.locator("#infos")).to_contain_text("Professionnel auto-école")
    assert page.locator("#formulaire-invitation").count() == 0  # the members live on membres.html
    # A wrong current password is named next to its field.
    page.get_by_role("button", name="Changer mon mot de passe").first.click()
    page.locator("#current_password").fill("pas le bon mot de passe")
    page.locator("#new_password").fill("une nouvelle phrase de passe")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("une nouvelle phrase de passe")
    page.get_by_role("button", name="Changer mon mot de passe").last.click()
    expect(page.locator("#erreur-current_password")).to_contain_text("Le mot de passe actuel est incorrect")
    site.check("espace-auto-ecole-large")
    phone.sign_in(demo_login("auto-ecole"))
    phone.open("espace.html")
    expect(phone.page.get_by_role("link", name="Gérer les membres de l'auto-école")).to_be_visible()
    phone.check("espace-auto-ecole-telephone")


def test_an_agent_sets_up_the_double_authentication_in_the_browser(site, phone, stack):
    # A new examiner of its own (the demo agents' MFA is set up by whichever test signs them in first).
    email = new_agent(stack, "inspecteur")
    page = site.sign_in(email, password=CANDIDATE_PASSWORD)
    page.goto(site.web + "/espace.html")
    expect(page.get_by_role("heading", name="Activez la double authentification")).to_be_visible()
    site.check("espace-agent-mfa-large")
    page.get_by_role("button", name="Commencer la configuration").click()
    expect(page.locator("#mfa-secret")).to_have_text(re.compile(r"^\S{4}( \S{1,4})+$"))
    expect(page.locator("#mfa-uri")).to_contain_text("otpauth://totp/")
    # The QR code the page offers is shown, drawn and big enough for a phone's camera.
    qr = page.get_by_role("img", name=re.compile("QR code de configuration"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width >= 150")
    # What a phone's camera reads from the screen is the configuration address shown below it.
    import io

    import zxingcpp
    from PIL import Image

    [scanned] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())), formats=zxingcpp.BarcodeFormat.QRCode)
    assert scanned.text == page.locator("#mfa-uri").inner_text()
    site.check("espace-agent-mfa-qr-large")
    page.set_viewport_size(NARROW)  # the same step at a phone's width
    expect(qr).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= 375"), "the page scrolls sideways"
    site.check("espace-agent-mfa-qr-telephone")
    page.set_viewport_size(WIDE)
    expect(page.get_by_label("Code à 6 chiffres affiché par l'application")).to_be_focused()
    page.get_by_label("Code à 6 chiffres affiché par l'application").fill("12")
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.locator("#erreur-mfa-code")).to_have_text("Le code compte 6 chiffres.")
    page.get_by_label("Code à 6 chiffres affiché par l'application").fill("123456")
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.locator("#avis")).to_contain_text("La double authentification est active")
    expect(page.locator("#bloc-mfa")).to_be_hidden()
    expect(page.locator("#connexion-infos")).to_contain_text("Activée")
    site.check("espace-agent-large")
    phone.sign_in(email, password=CANDIDATE_PASSWORD, code="654321")
    phone.open("espace.html")
    expect(phone.page.locator("#connexion-infos")).to_contain_text("Activée")
    phone.check("espace-agent-telephone")
