"""The agents' workbench in the console (issue 20), where the agent stands: a run of requests
decided with the keyboard only, two keys each, the next one opening by itself; a possible duplicate
NEPH repeated in the confirmation and refused until it is ticked; private notes. Checked at 1280 px
and at 375 px."""
import re
import time
import unicodedata

import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import demo_login, tick
from tests.browser.console_steps import (MFA_CODE, agent_headers, claim_in_console, file_requests, school_caller,
                                         sign_in_agent, validated_over_api)
from tests.stack_support import wait_for

RUN = 20  # the proof asked for: twenty requests in a row from the keyboard


def shown_number(page):
    return re.search(r"Demande (\d{12})", page.locator("#titre-demande").inner_text()).group(1)


def one_request_claimed(tab, stack):
    """A request filed for the test, claimed in the console of the demo DDT agent on `tab`."""
    [number] = file_requests(stack, 1)
    page = sign_in_agent(tab, "instructeur-ddt")
    claim_in_console(page, number)
    return page, number


def release_shown(page):
    """Not to leave a request held by the demo agent for the tests that follow."""
    page.get_by_role("button", name="Libérer la demande").click()
    page.locator("#avis").get_by_text("libérée").wait_for()


def validate_with_two_keys(page):
    """V (the decision chosen, the confirmation opened with the focus on its button), then Entrée;
    a point "À vérifier" of a request another test left is ticked with the space bar first."""
    page.keyboard.press("v")
    page.locator("#bloc-confirmation").wait_for()
    while (page.evaluate("document.activeElement.id") or "").startswith("verification-"):
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "confirmer-decision"
    page.keyboard.press("Enter")


def test_an_agent_decides_a_run_of_requests_with_two_keys_each(site, stack):
    mine = set(file_requests(stack, RUN))
    page = sign_in_agent(site, "instructeur-ddt")
    page.get_by_role("heading", name="Raccourcis clavier").wait_for()
    page.locator("#titre-file").focus()
    decided, presses = [], 0
    deadline = time.monotonic() + patience.seconds(60 + 15 * RUN)
    page.keyboard.press("s")  # « Prendre la demande suivante »
    while not mine <= set(decided):
        assert time.monotonic() < deadline, f"decided {decided}, still waiting for {mine - set(decided)}"
        if page.locator("#bloc-file").is_visible():  # a message still on its way through the relay
            page.locator("#titre-file").focus()
            time.sleep(0.5)
            page.keyboard.press("s")
            continue
        number = shown_number(page)
        page.locator("#etat-demande").get_by_text(f"Demande {number} prise en charge").wait_for()
        if not decided:
            site.check("console-raccourcis-large")
        validate_with_two_keys(page)
        presses += 2
        page.locator("#avis").get_by_text("Décision enregistrée : Validée").wait_for()
        expect(page.locator("#avis")).to_contain_text(f"(demande {number})")
        decided.append(number)
        # The next request opens by itself (or the queue, once it is empty).
        wait_for(lambda: page.locator("#bloc-file").is_visible() or shown_number(page) != number,
                 f"the request after {number}")
    assert presses == 2 * len(decided)
    seen = school_caller(stack)
    for number in mine:
        assert seen("GET", f"/requests/{number}")["status_label"] == "Validée"
    page.locator("#bloc-file").wait_for()
    expect(page.locator("#avis")).to_contain_text("Votre file est vide")


def test_a_possible_duplicate_neph_must_be_ticked_before_the_validation(phone, stack):
    # On a phone, by touch: the same person filed twice as a first registration.
    first, second = file_requests(stack, 2, identity=("Double", "Camille", "2003-03-03"))
    page = sign_in_agent(phone, "instructeur-ddt")
    claim_in_console(page, first)
    assert page.locator("#resume-controles").get_by_text("Aucun point à vérifier").is_visible()
    tick(page.get_by_label("Valider la demande"))
    page.get_by_role("button", name="Vérifier ma décision").click()
    assert page.locator("#champ-verifications").is_hidden()  # nothing to tick on the first
    page.get_by_role("button", name="Confirmer la décision").click()
    page.locator("#avis").get_by_text("Décision enregistrée : Validée ; NEPH").wait_for()
    neph = re.search(r"NEPH (\d{12})", page.locator("#avis").inner_text()).group(1)
    wait_for(lambda: page.locator("#bloc-file").is_visible() or shown_number(page) != first, "the next request")
    if page.locator("#bloc-file").is_visible() or shown_number(page) != second:
        if page.locator("#bloc-demande").is_visible():
            page.get_by_role("button", name="Retour à la file").click()
        claim_in_console(page, second)

    checks = page.locator("#liste-controles")
    expect(checks.locator("li", has_text="NEPH existant")).to_contain_text("À vérifier")
    expect(checks).to_contain_text(f"Cette identité a déjà le NEPH {neph}")
    tick(page.get_by_label("Valider la demande"))
    page.get_by_role("button", name="Vérifier ma décision").click()
    confirmation = page.locator("#bloc-confirmation")
    box = confirmation.get_by_label(re.compile("J'ai vérifié : NEPH existant"))
    box.wait_for()
    assert page.evaluate("document.activeElement.id") == "verification-0"  # the point first, then the button
    assert "doublon possible" in confirmation.inner_text()
    page.get_by_role("button", name="Confirmer la décision").click()
    expect(page.locator("#erreur-acknowledged")).to_contain_text("Cochez le point signalé")
    assert page.evaluate("document.activeElement.id") == "verification-0"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.check("console-doublon-a-cocher-telephone")
    headers = agent_headers(stack, "instructeur-ddt")
    assert requests.get(f"{phone.api}/staff/requests/{second}", timeout=30,
                        headers=headers).json()["status"] == "en-instruction"  # nothing was sent

    tick(box)
    page.get_by_role("button", name="Confirmer la décision").click()
    # The same NEPH as the first: the message names the request to tell the two decisions apart.
    page.locator("#avis").get_by_text(f"Décision enregistrée : Validée ; NEPH {neph}. (demande {second})").wait_for()
    history = requests.get(f"{phone.api}/staff/requests/{second}", timeout=30, headers=headers).json()["history"]
    [validation] = [row for row in history if row["to_status"] == "validee"]
    assert validation["acknowledged"] and "NEPH existant" in validation["acknowledged"][0], history
    assert school_caller(stack)("GET", f"/requests/{second}")["neph"] == neph
    # Not to leave the request the console opened next held by the demo agent.
    wait_for(lambda: page.locator("#bloc-file").is_visible() or shown_number(page) != second, "the next request")
    if page.locator("#bloc-demande").is_visible():
        release_shown(page)


def test_a_note_is_kept_with_the_request_for_the_agents_only(phone, stack):
    page, number = one_request_claimed(phone, stack)
    page.locator("#liste-notes").get_by_text("Aucune note pour le moment.").wait_for()
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.locator("#erreur-text")).to_contain_text("Écrivez la note")
    page.get_by_label("Ajouter une note").fill("Appelé l'auto-école : le candidat a déjà un dossier à Grenoble.")
    page.get_by_role("button", name="Enregistrer la note").click()
    page.locator("#etat-notes").get_by_text("Note enregistrée.").wait_for()
    notes = page.locator("#liste-notes")
    expect(notes).to_contain_text("le candidat a déjà un dossier à Grenoble")
    assert page.get_by_label("Ajouter une note").input_value() == ""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.check("console-note-telephone")
    # Read again, it is there; the school that filed the request never sees it.
    seen = requests.get(f"{phone.api}/staff/requests/{number}/notes", timeout=30,
                        headers=agent_headers(stack, "instructeur-ddt")).json()["notes"]
    assert [n["text"] for n in seen] == ["Appelé l'auto-école : le candidat a déjà un dossier à Grenoble."]
    expect(notes).to_contain_text(" – " + seen[0]["agent_name"])  # when, and who wrote it
    school = school_caller(stack)
    assert "Grenoble" not in str(school("GET", f"/requests/{number}"))
    assert "Grenoble" not in str(school("GET", f"/requests/{number}/history"))
    release_shown(page)


def test_a_document_is_seen_in_the_page_zoomed_and_turned_and_each_view_is_audited(site, stack):
    page, number = one_request_claimed(site, stack)
    page.locator("#titre-demande").focus()
    page.keyboard.press("n")  # the first piece that can be seen
    viewer = page.locator("#visionneuse")
    expect(viewer.locator("#titre-visionneuse")).to_contain_text("Pièce affichée : ")
    image = viewer.locator("#image-piece")
    wait_for(lambda: image.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the piece's image loaded")
    first = viewer.locator("#titre-visionneuse").inner_text()
    width = image.evaluate("(img) => img.getBoundingClientRect().width")
    viewer.get_by_role("button", name="Agrandir").click()
    wait_for(lambda: image.evaluate("(img) => img.getBoundingClientRect().width") > width * 1.4, "the zoom")
    viewer.get_by_role("button", name="Tourner d'un quart de tour").click()
    expect(viewer.locator("#etat-visionneuse")).to_have_text("Zoom 150 %, tournée de 90°")
    assert "rotate(90deg)" in image.evaluate("(img) => img.style.transform")
    site.check("console-piece-affichee-large")
    page.locator("#titre-demande").focus()
    page.keyboard.press("n")  # the next one
    wait_for(lambda: viewer.locator("#titre-visionneuse").inner_text() != first, "the next piece shown")
    expect(viewer.locator("#etat-visionneuse")).to_have_text("Zoom 100 %")
    wait_for(lambda: image.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the next image loaded")

    # The whole request as one PDF: asked, made by the documents' worker, offered when ready.
    page.get_by_role("button", name="Toute la demande en un PDF").click()
    link = page.locator("#etat-dossier").get_by_role("link", name=re.compile(f"Télécharger le dossier de la demande {number}"))
    link.wait_for(timeout=patience.ms(60_000))
    assert requests.get(link.get_attribute("href"), timeout=30).content.startswith(b"%PDF")

    # Each piece seen is a read the prefecture's administrator finds (the ePhoto images the identity
    # document brings beside it are reads of their own: tests/browser/test_ephoto.py).
    reads = requests.get(f"{site.api}/staff/requests/{number}/reads", timeout=30,
                         headers=agent_headers(stack, "prefecture")).json()["reads"]
    assert len([r for r in reads if r["what"].startswith("piece:") and "ephoto" not in r["what"]]) == 2, reads
    release_shown(page)


def french_order(name):
    """The order a French reader expects (and the page's localeCompare gives): Léa before Louise."""
    return unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode().casefold()


def test_the_worklist_opens_a_request_read_only_and_the_agent_takes_it_from_there(site, phone, stack):
    first, second = file_requests(stack, 2)
    page = sign_in_agent(site, "instructeur-ddt")
    listed = page.locator("#tableau-liste")
    wait_for(lambda: listed.get_by_role("button", name=f"Ouvrir la demande {second}").count() == 1 or
             page.get_by_role("button", name="Filtrer").click() or False, "the filed requests in the list")
    expect(listed.locator("tr", has_text=first)).to_contain_text("En attente")
    listed.get_by_role("button", name="Trier par candidat").click()
    expect(listed.locator("th[data-cle='candidate_name']")).to_have_attribute("aria-sort", "ascending")
    names = [cell.inner_text() for cell in listed.locator("tbody tr td:nth-child(3)").all()]
    assert names == sorted(names, key=french_order), names
    site.check("console-liste-large")

    listed.get_by_role("button", name=f"Ouvrir la demande {first}").click()
    page.locator("#etat-demande").get_by_text(f"Demande {first} ouverte en lecture.").wait_for()
    assert page.locator("#bloc-decision").is_hidden()  # read-only: nothing to decide before taking it
    expect(page.locator("#texte-prise")).to_contain_text("Personne ne tient cette demande")
    page.get_by_role("button", name="Prendre en charge cette demande").click()
    page.locator("#etat-demande").get_by_text(f"Demande {first} prise en charge.").wait_for()
    assert page.locator("#bloc-decision").is_visible()
    assert page.get_by_role("button", name="Prendre en charge cette demande").is_hidden()

    # The colleague's view of the list (the same agent on a phone): who holds it, in "En cours".
    narrow = sign_in_agent(phone, "instructeur-ddt")
    tick(narrow.get_by_label("En cours"))
    expect(narrow.locator("#tableau-liste tr", has_text=first)).to_contain_text("Prise en charge par vous")
    assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.check("console-liste-en-cours-telephone")

    tick(page.get_by_label("Ouvrir la demande suivante après chaque décision"), False)
    validate_with_two_keys(page)
    page.locator("#avis").get_by_text(f"(demande {first})").wait_for()
    tick(page.get_by_label("Traités (30 jours)"))
    expect(listed.locator("tr", has_text=first)).to_contain_text("Validée par")

    # Searched by its number: opened straight away.
    page.get_by_label("Numéro de demande ou NEPH").fill(second)
    page.get_by_role("button", name="Chercher").click()
    page.locator("#etat-demande").get_by_text(f"Demande {second} ouverte en lecture.").wait_for()
    page.get_by_role("button", name="Retour à la file").click()
    page.get_by_label("Numéro de demande ou NEPH").fill("12345")
    page.get_by_role("button", name="Chercher").click()
    expect(page.locator("#erreur-number")).to_contain_text("12 chiffres")


def test_the_examiner_records_both_tests_of_a_candidate_on_a_tablet(tablet, stack):
    [number] = file_requests(stack, 1)
    neph = validated_over_api(stack, number)  # the candidate has a NEPH

    agent_headers(stack, "inspecteur")  # double authentication set up
    page = tablet.sign_in(demo_login("inspecteur"), code=MFA_CODE)
    expect(page).to_have_url(re.compile(r"/examen\.html"))  # the examiner lands on the day's exams
    page.get_by_role("heading", name="Examens du jour", exact=True).wait_for()
    page.get_by_label("Centre d'examen").fill("Lyon Gerland")
    page.get_by_role("button", name="Afficher la feuille du jour").tap()
    page.locator("#etat-feuille").get_by_text("Aucun résultat enregistré").or_(
        page.locator("#etat-feuille").get_by_text("enregistré")).first.wait_for()
    before = page.locator("#tableau-feuille tbody tr").count()

    # A NEPH with a typo first: said next to the field.
    page.get_by_label("NEPH").fill("1234")
    page.get_by_role("button", name="Chercher").tap()
    expect(page.locator("#erreur-neph")).to_contain_text("12 chiffres")
    page.get_by_label("NEPH").fill(" ".join([neph[:2], neph[2:4], neph[4:6], neph[6:8], neph[8:]]))  # as printed
    page.get_by_role("button", name="Chercher").tap()
    expect(page.locator("#nom-candidat")).to_contain_text(f"NEPH {neph}")
    expect(page.locator("#inscriptions")).to_contain_text("Inscrit pour : B")

    # The practical before the theory: refused in French, nothing recorded.
    page.locator("#champ-test").get_by_text("Conduite (pratique)").tap()
    page.locator("#champ-resultat").get_by_text("Favorable", exact=True).tap()
    assert page.locator("#champ-aac").is_hidden()  # a traditional training: no AAC question
    page.get_by_label("Examinateur").fill("M. Laurent")
    page.get_by_role("button", name="Enregistrer le résultat").tap()
    expect(page.locator("#formulaire-resultat .resume-erreurs")).to_contain_text("épreuve théorique")
    tablet.check("examen-refus-tablette")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.locator("#champ-test").get_by_text("Code (théorie)").tap()
    page.get_by_role("button", name="Enregistrer le résultat").tap()
    page.locator("#avis").get_by_text("enregistr").first.wait_for()
    expect(page.locator("#tableau-feuille tbody tr")).to_have_count(before + 1)
    assert page.evaluate("document.activeElement.id") == "neph"  # ready for the next candidate

    page.get_by_label("NEPH").fill(neph)
    page.get_by_role("button", name="Chercher").tap()
    expect(page.locator("#resultats-candidat")).to_contain_text("Épreuve théorique B : Favorable (Lyon Gerland)")
    page.locator("#champ-test").get_by_text("Conduite (pratique)").tap()
    page.locator("#champ-resultat").get_by_text("Favorable", exact=True).tap()
    assert page.get_by_label("Examinateur").input_value() == "M. Laurent"  # remembered on the tablet
    page.get_by_role("button", name="Enregistrer le résultat").tap()
    expect(page.locator("#avis")).to_contain_text("CEPC")
    expect(page.locator("#tableau-feuille tbody tr")).to_have_count(before + 2)
    sheet = page.locator("#tableau-feuille")
    expect(sheet.locator("tr", has_text="Épreuve pratique").last).to_contain_text(neph)
    tablet.check("examen-feuille-tablette")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    results = requests.get(f"{tablet.api}/staff/exams/{neph}", headers=agent_headers(stack, "inspecteur"),
                           timeout=30).json()["registrations"][0]["results"]
    assert sorted((r["test"], r["outcome"]) for r in results) == [("pratique", "favorable"), ("theorie", "favorable")]
