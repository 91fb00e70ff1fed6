"""The driving school's filing of a registration ("inscription") in the browser, step by step, as
a person would do it: from the dashboard's "Nouvelle demande" to the submission. Reused by the
whole-journey test (the candidate then validates, an agent instructs, the school downloads)."""
import re
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import tick

SLOW_MS = 30_000  # a submission or a save on a busy machine
CHECK_TIMEOUT_MS = 90_000  # the document checker works in the background: a few seconds locally
DECLARATIONS = {"exam_pending_elsewhere": "non", "reads_french": "oui", "adapted_vehicle": "non",
                "vision_correction": "oui", "medical_condition": "non", "disability_pension": "non"}


def scan_jpeg(directory=None, name="scan.jpg", size=(900, 700)):
    """A real JPEG (noise, so that it is not too small once compressed), as a file on disk."""
    from PIL import Image

    path = Path(directory or tempfile.mkdtemp()) / name
    Image.effect_noise(size, 60).convert("RGB").save(path, "JPEG", quality=90)
    return path


def ephoto_code():
    return "E2E0" + uuid.uuid4().hex[:18].upper()


def choose(page, input_id):
    """Checks a DSFR radio or checkbox as a person does: on its label (the input itself is drawn
    under it)."""
    tick(page.locator("#" + input_id))


def start_request(site, mandate="sans-mandat"):
    """From the dashboard's "Nouvelle demande": returns the new request's number. mandate=None: the
    person files in one mode only (a candidate, a mediator), the form asks none."""
    page = site.open("demandes.html#nouvelle")
    choose(page, "nouvelle-procedure-inscription")
    if mandate:
        choose(page, f"nouvelle-mandate-{mandate}")
    else:
        expect(page.locator("#bloc-mandat")).to_be_hidden()
    page.get_by_role("button", name="Commencer la demande").click()
    page.wait_for_url(re.compile(r"demande\.html#id=\d{12}"))
    number = re.search(r"id=(\d{12})", page.url).group(1)
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    return number


def open_step_list(page):
    """On a phone the list of the 7 steps is folded under « Toutes les étapes »: unfold it."""
    toggle = page.get_by_role("button", name="Toutes les étapes")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def go_to_step(page, link_name, heading):
    """Opens a step from the list of steps, as a person does on a phone or a desktop."""
    open_step_list(page)
    page.locator("#etapes").get_by_role("link", name=re.compile("^" + re.escape(link_name))).click()
    page.get_by_role("heading", name=heading).wait_for()


def save_step(page, next_title):
    page.locator("section.etape:not([hidden])").get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("heading", name=next_title).wait_for()


def fill_birth_date(page, field_id, iso):
    """Types a date of birth as a person does in its three fields: day, month, year ("2004-05-06" is
    typed 6, 5, 2004)."""
    year, month, day = iso.split("-")
    fieldset = page.locator("#" + field_id)
    fieldset.get_by_label("Jour").fill(str(int(day)))
    fieldset.get_by_label("Mois").fill(str(int(month)))
    fieldset.get_by_label("Année").fill(year)


def fill_civil_status(page, birth_date="2004-05-06"):
    page.locator("#civil_status-birth_name").fill("Dupont")
    page.locator("#civil_status-first_names").fill("Léa")
    choose(page, "civil_status-sex-F")
    fill_birth_date(page, "civil_status-birth_date", birth_date)
    page.locator("#civil_status-birth_place-commune").fill("Lyon")
    page.locator("#civil_status-birth_place-departement").fill("69")


def fill_contact(page, candidate_email):
    page.locator("#contact-address-number").fill("12")
    page.locator("#contact-address-street_type").select_option("RUE")
    page.locator("#contact-address-street_name").fill("de la République")
    page.locator("#contact-address-postal_code").fill("69002")
    commune = page.locator("#contact-address-commune")
    expect(commune).to_be_enabled()
    commune.select_option("69382")
    page.locator("#contact-email").fill(candidate_email)
    page.locator("#contact-mobile_phone").fill("06 12 34 56 78")


def fill_categories(page):
    choose(page, "categories-categories-B")
    choose(page, "categories-training_path-traditionnelle")
    choose(page, "categories-has_licence-non")
    choose(page, "categories-first_request-oui")


def fill_declarations(page):
    for field, answer in DECLARATIONS.items():
        choose(page, f"declarations-{field}-{answer}")


def steps_four_to_six(site):
    """Steps 4 (categories), 5 (declarations) and 6 (documents) of a request, each filled and saved."""
    page = site.page
    save_step(page, "Catégories et formation Étape 4 sur 7")
    fill_categories(page)
    save_step(page, "Déclarations Étape 5 sur 7")
    fill_declarations(page)
    save_step(page, "Pièces justificatives Étape 6 sur 7")
    send_documents(site)


def send_documents(site, scan=None, check=None):
    """Every required document of the documents step: the ePhoto code, then each file (a real JPEG),
    each one seen accepted. check(name): called on the way (screenshots)."""
    page = site.page
    scan = scan or scan_jpeg()
    pieces = page.locator("#pieces-edition li.piece")
    pieces.first.wait_for()
    ids = [item.get_attribute("id") for item in pieces.all()]
    for piece_id in ids:
        piece = page.locator("#" + piece_id)
        if "Acceptée" in piece.locator(".piece-etat").text_content():
            continue  # already there (a production request's CEPC)
        if piece.locator("#ephoto-code").count():
            piece.locator("#ephoto-code").fill(ephoto_code())
            piece.get_by_role("button", name="Enregistrer le code ePhoto").click()
            expect(piece.locator(".piece-message")).to_contain_text("Code ePhoto enregistré", timeout=patience.ms(CHECK_TIMEOUT_MS))
            continue
        piece.locator('input[type="file"]').set_input_files(str(scan))
        piece.get_by_role("button", name=re.compile("^Envoyer le fichier")).click()
        # The upload's bar reached 100 %, then the checker's verdict arrives.
        expect(piece.locator("progress").first).to_have_attribute("value", "100")
        if check:
            check()
            check = None
    for piece_id in ids:
        expect(page.locator(f"#{piece_id} .piece-etat")).to_contain_text("Acceptée", timeout=patience.ms(CHECK_TIMEOUT_MS))


def submit(page, check=None, name="Dupont"):
    page.get_by_role("link", name="Continuer vers le récapitulatif").click()
    page.get_by_role("heading", name="Récapitulatif et dépôt Étape 7 sur 7").wait_for()
    expect(page.locator("#avis")).not_to_contain_text("enregistrée")  # a saved step's notice stays on its next
    expect(page.locator("#etat-recapitulatif")).to_contain_text("La demande est complète")
    expect(page.locator("#recapitulatif")).to_contain_text(name)
    expect(page.locator("#recapitulatif-pieces")).to_contain_text("Acceptée")  # the documents are in the summary
    if check:
        check()
    page.get_by_role("button", name="Déposer la demande").click()
    expect(page.locator("#avis")).to_contain_text("La demande est déposée", timeout=patience.ms(SLOW_MS))
    # The end of the procedure: the State's "Je donne mon avis", in a new window.
    feedback = page.get_by_role("link", name="Je donne mon avis")
    expect(feedback).to_be_visible()
    assert feedback.get_attribute("href").startswith("https://voxusagers.numerique.gouv.fr/")


def file_registration_in_browser(site, candidate_email, check=None):
    """The signed-in school files and submits a registration without a mandate for the candidate
    whose personal address is candidate_email; returns the request's number. check(name), when
    given, is called at each step (e.g. site.check for screenshots)."""
    snap = check or (lambda name: None)
    page = site.page
    number = start_request(site)
    go_to_step(page, "1. Démarche et mandat", "Démarche et mandat Étape 1 sur 7")
    snap("demande-etape-1-demarche")
    page.get_by_role("link", name="Continuer vers l'état civil").click()
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    fill_civil_status(page)
    snap("demande-etape-2-etat-civil")
    save_step(page, "Adresse et coordonnées Étape 3 sur 7")
    fill_contact(page, candidate_email)
    snap("demande-etape-3-coordonnees")
    save_step(page, "Catégories et formation Étape 4 sur 7")
    fill_categories(page)
    snap("demande-etape-4-categories")
    save_step(page, "Déclarations Étape 5 sur 7")
    fill_declarations(page)
    snap("demande-etape-5-declarations")
    save_step(page, "Pièces justificatives Étape 6 sur 7")
    send_documents(site, check=lambda: snap("demande-etape-6-envoi"))
    snap("demande-etape-6-pieces-acceptees")
    submit(page, check=lambda: snap("demande-etape-7-recapitulatif"))
    return number
