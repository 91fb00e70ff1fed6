"""The ePhoto photo and signature beside the identity document in the agents' console (issue 20,
item 2), on `make run`'s stack and its stand-in of the ePhoto operator: at 1280 px in a column on
the right of the identity document, at 375 px under it, each view in the reads audit; a code the
operator does not know is said in their place, never a broken image."""
import uuid

import requests
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console_steps import agent_headers, claim_in_console, file_requests, sign_in_agent

PHOTO, SIGNATURE = "Photo ePhoto du candidat", "Signature ePhoto du candidat"


def loaded(image):
    """Waits for an <img> to be drawn; its natural size."""
    expect(image).to_be_visible(timeout=patience.ms(60_000))  # the first view waits for the operator's images
    image.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                                 timeout=patience.ms(30_000))
    return image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")


def open_identity(page):
    page.get_by_role("button", name="Ouvrir la pièce : Justificatif d'identité").click()
    viewer = page.locator("#visionneuse")
    expect(viewer.locator("#titre-visionneuse")).to_have_text("Pièce affichée : Justificatif d'identité")
    identity = viewer.locator("#image-piece")
    loaded(identity)
    return viewer, identity


def release(page):
    page.get_by_role("button", name="Libérer la demande").click()
    page.locator("#avis").get_by_text("libérée").wait_for()


def test_the_photo_and_signature_are_beside_the_identity_document_and_each_view_is_audited(site, stack):
    [number] = file_requests(stack, 1)
    page = sign_in_agent(site, "instructeur-ddt")
    claim_in_console(page, number)
    viewer, identity = open_identity(page)
    ephoto = viewer.get_by_role("region", name="Photo et signature ePhoto")
    photo, signature = ephoto.get_by_role("img", name=PHOTO), ephoto.get_by_role("img", name=SIGNATURE)
    assert loaded(photo) == [413, 531]  # the operator's 35 x 45 photo, re-encoded by the checker
    width, height = loaded(signature)
    assert width > 2 * height
    # Beside the identity document: on its right, level with it, fully in the page's width.
    frame, shown = viewer.locator("#cadre-piece").bounding_box(), photo.bounding_box()
    assert shown["x"] >= frame["x"] + frame["width"] and shown["y"] < frame["y"] + frame["height"]
    assert shown["x"] + shown["width"] <= 1280 and abs(shown["width"] / shown["height"] - 35 / 45) < 0.02
    assert signature.bounding_box()["y"] > shown["y"] + shown["height"]  # the signature under the photo
    site.check("console-ephoto-large")
    viewer.screenshot(path=str(SCREENSHOTS / "console-ephoto-visionneuse-large.png"))

    # The link is the pieces' (a minute, from the documents bucket); each view is in the audit.
    assert requests.get(photo.get_attribute("src"), timeout=30).headers["Content-Type"] == "image/jpeg"
    reads = requests.get(f"{site.api}/staff/requests/{number}/reads", timeout=30,
                         headers=agent_headers(stack, "prefecture")).json()["reads"]
    seen = [r["what"] for r in reads]
    assert seen.count("piece:ephoto-photo") == 1 and seen.count("piece:ephoto-signature") == 1, seen
    # The ePhoto row of the pieces shows them again, beside the identity document.
    page.get_by_role("button", name="Voir la photo et la signature ePhoto").click()
    expect(viewer.locator("#titre-visionneuse")).to_have_text("Pièce affichée : Justificatif d'identité")
    loaded(photo)
    release(page)


def open_read_only(page, number):
    """Opens a request of the service by its number, read-only (the same rights to its pieces)."""
    page.get_by_label("Numéro de demande ou NEPH").fill(number)
    page.get_by_role("button", name="Chercher").click()
    page.locator("#etat-demande").get_by_text(f"Demande {number} ouverte en lecture.").wait_for()


def test_on_a_phone_they_come_under_the_identity_document_and_an_unknown_code_is_said_in_their_place(
        phone, stack):
    unknown = "INCONNU" + uuid.uuid4().hex[:15].upper()
    known, refused = file_requests(stack, 2, ephoto_codes=[None, unknown])
    page = sign_in_agent(phone, "instructeur-ddt")
    open_read_only(page, known)
    viewer, identity = open_identity(page)
    photo = viewer.get_by_role("img", name=PHOTO)
    loaded(photo)
    loaded(viewer.get_by_role("img", name=SIGNATURE))
    frame, shown = viewer.locator("#cadre-piece").bounding_box(), photo.bounding_box()
    assert shown["y"] >= frame["y"] + frame["height"]  # under it: the screen is too narrow for both
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    photo.scroll_into_view_if_needed()
    phone.check("console-ephoto-telephone", full_page=False)
    viewer.screenshot(path=str(SCREENSHOTS / "console-ephoto-visionneuse-telephone.png"))

    page.get_by_role("button", name="Retour à la file").click()
    open_read_only(page, refused)
    viewer, _ = open_identity(page)
    alert = viewer.locator("#etat-ephoto .fr-alert")
    expect(alert).to_contain_text("Le service ePhoto ne connaît pas ce code : demandez au demandeur de vérifier",
                                  timeout=patience.ms(60_000))
    expect(viewer.locator("#ephoto img")).to_have_count(0)  # no broken image
    assert not viewer.get_by_role("button", name="Réessayer").count()  # asking again would not help
    alert.scroll_into_view_if_needed()
    phone.check("console-ephoto-code-inconnu-telephone", full_page=False)
