"""The public pages, as someone without an account uses them: the home page, creating an account
(per-field errors, the emailed activation link, choosing the password, signing in), the forgotten
password, tracking a request and subscribing to its alerts, and verifying a document's QR code
(pasted, or read from an image in the browser)."""
import re
import uuid
from datetime import date

import pytest
import requests
from playwright.sync_api import expect

from chalicelib.local.demo_data import FREE_AGREMENT
from tests import patience
from tests.browser.conftest import NARROW
from tests.browser.conftest import tick as tick_control
from tests.browser.school_steps import fill_birth_date
from tests.stack_support import altcha, link_token, mail_to, school_files_registration

PUBLIC_PAGES = ["index", "inscription-candidat", "inscription-auto-ecole", "activation", "mot-de-passe",
                "confirmer-adresse", "desabonnement", "suivi", "alertes", "boite-mail", "verification"]
ADDRESS = {"number": "12", "street_type": "RUE", "street_name": "de la République", "postal_code": "69002",
           "commune": "69382"}
PASSWORD = "le code de la route 2026"


# --- What the tests prepare without clicking ------------------------------------------------------

def unique_email(name):
    return f"{name}.{uuid.uuid4().hex[:8]}@exemple.fr"


def active_candidate(stack, email):
    """A candidate account opened and activated over HTTP (the browser then uses it)."""
    api = stack["urls"]["api"]
    opened = requests.post(api + "/accounts/candidates", timeout=10, json={
        "birth_name": "Martin", "first_names": "Jules", "sex": "M", "birth_date": "2005-02-03",
        "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"},
        "email": email, "mobile_phone": "0712345678", "address": ADDRESS, "altcha": altcha(api), "terms_accepted": True})
    assert opened.status_code == 201, opened.text
    activated = requests.post(api + "/accounts/activation", timeout=10,
                              json={"token": link_token(mail_to(stack, email)), "password": PASSWORD})
    assert activated.status_code == 200, activated.text


@pytest.fixture(scope="module")
def submitted_request(stack):
    """A request the demo school filed and sent (as in tests/e2e): "Attente validation usager"."""
    return school_files_registration(stack, unique_email("ines.durand"), birth_name="Durand", first_names="Inès",
                                     vision_correction=False)


@pytest.fixture(scope="module")
def signer(stack):
    """The local stack's own signing key in its moto KMS: a payload it signs is what the service
    prints on an attestation (same key, same code, domain.verification.signed_payload)."""
    import boto3

    from chalicelib.adapters.signer import KmsSigner
    from chalicelib.local.stack import local_aws_environment

    env = local_aws_environment(stack["urls"]["aws"])
    kms = boto3.client("kms", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                       aws_session_token=env["AWS_SESSION_TOKEN"])
    [alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].endswith("-signing")]
    return KmsSigner(kms, alias["TargetKeyId"])


def qr_text(signer, document_type="ATT", issued_on=None):
    from chalicelib.domain.verification import signed_payload

    return signed_payload(document_type, "690123456789", "Durand", "Inès", date(2004, 5, 6),
                          issued_on or date.today(), signer.kid, signer.sign)


def qr_png(text, path, scale=8):
    import segno

    segno.make(text, error="m").save(str(path), scale=scale, border=4)
    return path


def tick(page, control_id):
    tick_control(page.locator("#" + control_id))


def tick_antirobot(page):
    """Checks ALTCHA's box (its widget draws it) and waits for the proof to be computed."""
    page.locator("altcha-widget").get_by_text("Je ne suis pas un robot").click()
    antirobot_verified(page)


def antirobot_verified(page):
    expect(page.locator("altcha-widget .altcha")).to_have_attribute("data-state", "verified")
    expect(page.locator("altcha-widget")).to_contain_text("Vérification réussie")


# --- Every page --------------------------------------------------------------------------------------

def test_every_public_page_is_accessible_on_a_wide_window(site):
    for name in PUBLIC_PAGES:
        page = site.open(name + ".html")
        expect(page.locator("h1")).to_be_visible()
        site.check(f"public-{name}-large")
    page = site.open("index.html")
    assert page.get_by_role("heading", name="État du service").is_visible()
    expect(page.locator("#etat-api")).to_have_text("Le service fonctionne normalement.")
    assert page.get_by_role("link", name="Vérifier un document").count() >= 2  # the tile and the menu
    # The privacy page and the accessibility statement, from the home page's own words.
    page.locator("main").get_by_role("link", name="déclaration d'accessibilité").click()
    page.wait_for_url("**/accessibilite.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    page.go_back()
    page.locator("main").get_by_role("link", name="Données personnelles").click()
    page.wait_for_url("**/donnees-personnelles.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")


def test_the_main_public_pages_fit_a_phone(phone):
    for name in ("index", "inscription-candidat", "suivi", "verification", "alertes", "boite-mail"):
        page = phone.open(name + ".html")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{name}.html scrolls sideways on a phone ({width} px)"
        phone.check(f"public-{name}-telephone")


# --- Account creation ---------------------------------------------------------------------------------

def test_a_candidate_creates_an_account_fixes_its_errors_activates_it_from_the_mailbox_and_signs_in(site):
    page = site.open("inscription-candidat.html")
    page.get_by_role("button", name="Créer mon compte").click()
    summary = page.locator("#formulaire .resume-erreurs")
    expect(summary).to_be_focused()
    expect(page.locator("#erreur-birth_name")).to_have_text("Indiquez votre nom de naissance.")
    expect(page.locator("#erreur-first_names")).to_have_text("Indiquez vos prénoms.")
    assert "Indiquez votre nom de naissance." in summary.inner_text()
    assert page.locator("#birth_name").get_attribute("aria-invalid") == "true"
    site.check("public-inscription-candidat-erreurs")
    summary.get_by_role("link", name="Indiquez vos prénoms.").click()
    expect(page.locator("#first_names")).to_be_focused()

    email = unique_email("camille.leroy")
    page.get_by_label("Nom de naissance").fill("Leroy")
    page.get_by_label("Prénoms").fill("Camille Anne")
    tick(page, "sex-F")
    fill_birth_date(page, "birth_date", "2006-09-15")
    page.locator("#birth_place-commune").fill("Lyon")
    page.locator("#birth_place-departement").fill("69")
    page.get_by_label("Adresse électronique personnelle").fill("camille.leroy@")  # not an address
    page.get_by_label("Téléphone portable").fill("06 11 22 33 44")
    page.get_by_label("Type de voie").select_option("RUE")
    page.get_by_label("Nom de la voie").fill("Garibaldi")
    page.locator("#address-postal_code").fill("69003")
    expect(page.locator("#etat-address-commune")).to_contain_text("Lyon")
    tick(page, "terms_accepted")
    tick_antirobot(page)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(summary).to_be_focused()
    expect(page.locator("#erreur-email")).not_to_be_empty()  # the API's own check, next to the field
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert page.locator("#erreur-birth_name").inner_text() == ""
    expect(page.get_by_label("Je ne suis pas un robot")).not_to_be_checked()  # a proof serves once

    page.get_by_label("Adresse électronique personnelle").fill(email)
    tick_antirobot(page)
    page.get_by_role("button", name="Créer mon compte").click()
    success = page.locator("#bloc-succes")
    expect(success).to_be_focused()
    expect(success).to_contain_text("vérifiez votre boîte mail")
    expect(page.get_by_role("link", name="Ouvrir la boîte mail locale")).to_be_visible()
    site.check("public-inscription-candidat-succes")

    link = re.search(r'href="([^"]*activation\.html#jeton=[^"]+)"', mail_to(site.stack, email)["html"].replace("&amp;", "&"))
    page.goto(link.group(1))
    expect(page.locator("#bonjour")).to_contain_text("Camille")
    page.locator("#password").fill("trop court")
    page.locator("#confirmation").fill("autre chose")
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.locator("#erreur-password")).to_have_text("Le mot de passe doit compter au moins 12 caractères.")
    expect(page.locator("#erreur-confirmation")).to_contain_text("ne sont pas identiques")
    site.check("public-activation-erreurs")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    # A candidate is signed in by the activation and taken to their requests, told so there.
    expect(page).to_have_url(re.compile(r"/demandes\.html$"))
    expect(page.locator("#avis")).to_contain_text("Votre compte est activé et vous êtes connecté(e).")
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_visible()
    site.check("public-activation-succes")

    # Signed out, the password chosen on the activation page opens the account.
    page.get_by_role("button", name="Se déconnecter").first.click()
    expect(page).to_have_url(re.compile(r"/connexion\.html"))
    site.sign_in(email, PASSWORD)
    expect(site.page.get_by_role("button", name="Se déconnecter").first).to_be_visible()

    # The same link again: used, so a clear message and a way to get a new one.
    page.goto(link.group(1))
    expect(page.locator("#etat")).not_to_have_text("Vérification du lien d'activation…")
    expect(page.get_by_role("heading", name="Recevoir un nouveau lien d'activation")).to_be_visible()
    site.check("public-activation-lien-use")


def test_the_school_sign_up_names_each_missing_field(site):
    page = site.open("inscription-auto-ecole.html")
    page.get_by_label("Raison sociale").fill("Auto-école du Parc")
    page.get_by_role("button", name="Créer le compte de l'auto-école").click()
    expect(page.locator("#formulaire .resume-erreurs")).to_be_focused()
    expect(page.locator("#erreur-agrement_number")).to_have_text("Indiquez le numéro d'agrément de l'auto-école.")
    expect(page.locator("#erreur-altcha")).to_contain_text("Je ne suis pas un robot")
    assert page.locator("#erreur-company_name").inner_text() == ""
    assert "fr-input-group--error" in page.locator("#agrement_number").locator("xpath=..").get_attribute("class")
    site.check("public-inscription-auto-ecole-erreurs")


def test_a_keyboard_alone_creates_a_school_account(site):
    page = site.open("inscription-auto-ecole.html")
    keyboard = page.keyboard

    def tab_to(selector, limit=60):
        for _ in range(limit):
            keyboard.press("Tab")
            if page.evaluate("s => Boolean(document.activeElement && document.activeElement.matches(s))", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    email = unique_email("gerant")
    tab_to("#birth_name")
    keyboard.type("Bernard")
    keyboard.press("Tab")
    keyboard.type("Luc")
    keyboard.press("Tab")
    keyboard.type(email)
    keyboard.press("Tab")
    keyboard.type("Auto-école des Pentes")
    keyboard.press("Tab")
    keyboard.type(FREE_AGREMENT)  # in the demo registry, not taken yet
    tab_to("#address-street_type")
    keyboard.type("Rue")  # a select chooses by typing
    keyboard.press("Tab")
    keyboard.type("Burdeau")
    tab_to("#address-postal_code")
    keyboard.type("69001")
    expect(page.locator("#etat-address-commune")).to_contain_text("Lyon")
    expect(page.locator("altcha-widget input[type=checkbox]")).to_be_attached()  # drawn once the form is used
    tab_to("altcha-widget input[type=checkbox]")
    keyboard.press("Space")
    antirobot_verified(page)
    keyboard.press("Tab")
    keyboard.press("Space")
    expect(page.locator("#terms_accepted")).to_be_checked()
    keyboard.press("Tab")
    expect(page.locator("#envoyer")).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("#bloc-succes")).to_be_focused(timeout=patience.ms(30_000))  # Cognito, then the email
    assert "/accounts" not in page.url
    assert mail_to(site.stack, email)["subject"]


# --- Password ---------------------------------------------------------------------------------------------

def test_a_forgotten_password_is_replaced_from_the_emailed_link_which_then_no_longer_works(site):
    email = unique_email("jules.martin")
    active_candidate(site.stack, email)
    page = site.open("mot-de-passe.html")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.locator("#erreur-email")).to_have_text("Indiquez l'adresse électronique de votre compte.")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.locator("#resultat-demande")).not_to_be_empty()
    site.check("public-mot-de-passe-demande")

    mail = mail_to(site.stack, email, matching="mot de passe")
    link = site.web + "/mot-de-passe.html#jeton=" + link_token(mail)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choisir un nouveau mot de passe", exact=True)).to_be_visible()
    assert "jeton" not in page.url
    new_password = "une phrase assez longue 2027"
    page.locator("#password").fill(new_password)
    page.locator("#confirmation").fill(new_password)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.locator("#bloc-succes")).to_contain_text("Mot de passe changé")
    site.check("public-mot-de-passe-succes")
    site.sign_in(email, new_password)

    page.goto(link)  # used once already
    page.locator("#password").fill("encore une autre phrase")
    page.locator("#confirmation").fill("encore une autre phrase")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.locator("#etat")).not_to_be_empty()
    expect(page.get_by_role("button", name="Recevoir le lien")).to_be_visible()  # a new link, right there
    site.check("public-mot-de-passe-lien-use")


# --- Tracking and alerts ----------------------------------------------------------------------------------

def test_tracking_an_unknown_number_says_so_next_to_the_field(site):
    page = site.open("suivi.html")
    page.get_by_label("Numéro de la demande").fill("269999999999")
    tick_antirobot(page)
    page.get_by_role("button", name="Voir le statut").click()
    error = page.locator("#erreur-request_id")
    expect(error).not_to_be_empty()
    expect(page.locator("#formulaire .resume-erreurs")).to_be_focused()
    assert page.locator("#bloc-resultat").is_hidden()
    site.check("public-suivi-inconnu")


def test_a_keyboard_alone_tracks_a_request_shows_its_badge_then_subscribes_to_its_alerts(site, submitted_request):
    page = site.open("suivi.html")
    keyboard = page.keyboard
    for _ in range(40):
        keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "request_id":
            break
    keyboard.type(submitted_request)
    # Its box is drawn once the person starts filling the form (its files load then), which a
    # person typing 12 digits never outpaces; the test types at once.
    expect(page.locator("altcha-widget input[type=checkbox]")).to_be_attached()
    keyboard.press("Tab")
    expect(page.locator("altcha-widget input[type=checkbox]")).to_be_focused()
    keyboard.press("Space")
    antirobot_verified(page)
    keyboard.press("Tab")
    keyboard.press("Enter")
    result = page.locator("#bloc-resultat")
    expect(result).to_be_focused()
    badge = page.locator("#statut")
    expect(badge).to_have_text("En attente de validation par le candidat")  # the public's words
    assert "fr-badge--warning" in badge.get_attribute("class")
    assert "Durand" not in result.inner_text()  # nothing personal
    expect(page.locator("#explication")).not_to_be_empty()
    site.check("public-suivi-resultat")

    page.get_by_role("link", name="Recevoir les alertes de cette demande").click()
    page.wait_for_url("**/alertes.html*")
    expect(page.get_by_label("Numéro de la demande")).to_have_value(submitted_request)
    address = unique_email("maman")
    page.get_by_label("Adresse électronique").fill(address)
    tick_antirobot(page)
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.locator("#bloc-code")).to_be_focused()
    page.get_by_label("Code à 6 chiffres").fill("000000")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.locator("#formulaire-code .resume-erreurs")).to_be_focused()
    site.check("public-alertes-code-refuse")
    code = re.search(r"\b(\d{6})\b", re.sub(r"<[^>]+>", " ", mail_to(site.stack, address)["html"])).group(1)
    page.get_by_label("Code à 6 chiffres").fill(code)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.locator("#etat-code")).not_to_be_empty()
    assert "fr-alert--success" in page.locator("#etat-code").get_attribute("class")
    expect(page.get_by_role("link", name="Je donne mon avis")).to_be_visible()
    site.check("public-alertes-confirme")


def test_an_incomplete_or_unknown_unsubscribe_link_is_explained(site):
    page = site.open("desabonnement.html")
    expect(page.locator("#etat")).to_contain_text("incomplet")
    page.goto("about:blank")
    page.goto(site.web + "/desabonnement.html#jeton=" + "A" * 43)
    expect(page.locator("#etat")).not_to_have_text("Désabonnement en cours…")
    expect(page.locator("#etat")).to_have_class(re.compile("fr-alert--error"))
    assert "incomplet" not in page.locator("#etat").inner_text()
    site.check("public-desabonnement-refuse")


# --- Verification of a document -------------------------------------------------------------------------

def paste_and_verify(page, text):
    tick(page, "mode-texte")
    page.locator("#payload").fill(text)
    page.get_by_role("button", name="Vérifier le document").click()
    verdict = page.locator("#bloc-verdict")
    expect(verdict).to_be_focused()
    return verdict


def test_a_pasted_qr_code_text_is_authentic_tampered_or_not_ours(site, signer):
    page = site.open("verification.html")
    genuine = qr_text(signer)
    verdict = paste_and_verify(page, genuine)
    expect(page.locator("#titre-verdict")).to_have_text("Document authentique")
    expect(page.locator("#contenu-document")).to_contain_text("DURAND")
    expect(page.locator("#contenu-document")).to_contain_text("INÈS")
    expect(page.locator("#contenu-document")).to_contain_text("Attestation d'inscription")
    site.check("public-verification-authentique")

    page.get_by_role("button", name="Vérifier un autre document").click()
    paste_and_verify(page, genuine.replace("DURAND", "DURANT"))
    expect(page.locator("#titre-verdict")).to_have_text("Document modifié ou falsifié")
    assert page.locator("#bloc-contenu").is_hidden()
    assert "fr-alert--error" in page.locator("#verdict").get_attribute("class")
    site.check("public-verification-falsifie")

    page.get_by_role("button", name="Vérifier un autre document").click()
    verdict = paste_and_verify(page, "https://exemple.fr/pas-un-document")
    expect(page.locator("#titre-verdict")).to_contain_text("n'est pas celui d'un document Permis en ligne")
    assert verdict.locator("#conseil").is_visible()

    page.get_by_role("button", name="Vérifier un autre document").click()
    tick(page, "mode-texte")
    page.get_by_role("button", name="Vérifier le document").click()
    expect(page.locator("#erreur-payload")).to_have_text("Collez le texte du QR code.")

    cepc = paste_and_verify(page, qr_text(signer, "CEPC", issued_on=date(2025, 1, 6)))
    expect(page.locator("#titre-verdict")).to_have_text("Document authentique, mais plus valable")
    expect(cepc.locator("#validite")).to_contain_text("n'était valable que jusqu'au 6 mai 2025 inclus")
    site.check("public-verification-cepc-expire")


def test_an_image_of_the_qr_code_is_read_in_the_browser_and_other_files_are_refused(phone, signer, tmp_path):
    page = phone.open("verification.html")
    page.locator("#image").set_input_files(str(qr_png(qr_text(signer, "CEPC"), tmp_path / "cepc.png")))
    expect(page.locator("#etat-image")).to_contain_text("QR code lu")
    page.get_by_role("button", name="Vérifier le document").click()
    expect(page.locator("#bloc-verdict")).to_be_focused()
    expect(page.locator("#titre-verdict")).to_have_text("Document authentique")
    expect(page.locator("#validite")).to_contain_text("valable jusqu'au")
    phone.check("public-verification-image-telephone")

    page.get_by_role("button", name="Vérifier un autre document").click()
    page.locator("#image").set_input_files(str(qr_png("PEL1|ATT|pas|signe", tmp_path / "faux.png")))
    expect(page.locator("#etat-image")).to_contain_text("QR code lu")
    page.get_by_role("button", name="Vérifier le document").click()
    expect(page.locator("#titre-verdict")).to_contain_text("n'est pas celui d'un document Permis en ligne")

    page.get_by_role("button", name="Vérifier un autre document").click()
    (tmp_path / "notes.txt").write_text("bonjour")
    page.locator("#image").set_input_files(str(tmp_path / "notes.txt"))
    expect(page.locator("#erreur-image")).to_contain_text("Ce fichier n'est pas une image")

    from PIL import Image

    Image.new("RGB", (400, 300), "white").save(tmp_path / "blanc.png")
    page.locator("#image").set_input_files(str(tmp_path / "blanc.png"))
    expect(page.locator("#erreur-image")).to_contain_text("Aucun QR code n'a été trouvé")
    page.get_by_role("button", name="Vérifier le document").click()
    expect(page.locator("#formulaire .resume-erreurs")).to_be_focused()
    assert page.locator("#bloc-verdict").is_hidden()
    phone.check("public-verification-image-refusee")


# --- The local mailbox ----------------------------------------------------------------------------------

def test_the_local_mailbox_lists_the_emails_and_shows_one_on_a_phone(new_site, stack):
    email = unique_email("boite")
    active_candidate(stack, email)
    tab = new_site(NARROW)
    page = tab.open("boite-mail.html")
    first = page.locator("#liste button").first
    expect(first).to_be_visible()
    page.locator("#liste button", has_text=email).first.click()
    expect(page.locator("#titre-lecture")).to_be_focused()
    expect(page.locator("#destinataires")).to_contain_text(email)
    assert page.locator("#liste button[aria-pressed=true]").count() == 1
    tab.check("public-boite-mail-telephone-lecture")


def test_the_qr_reader_library_is_served_and_nothing_else_of_node_modules(stack):
    import http.client
    from urllib.parse import urlparse

    served = requests.get(stack["urls"]["web"] + "/lib/jsqr/jsQR.js", timeout=10)
    assert served.status_code == 200 and "jsQR" in served.text
    web = urlparse(stack["urls"]["web"])
    connection = http.client.HTTPConnection(web.hostname, web.port, timeout=10)
    connection.request("GET", "/lib/jsqr/../../../package.json")  # sent as is, not normalised
    answer = connection.getresponse()
    assert answer.status == 404 or b"permis-en-ligne-web" not in answer.read()
