"""The support desk in the browser: someone not signed in sees the form's per-field errors; the
demo school writes to the support from contact.html and gets its number and the promise; the demo
prefecture administrator finds it in support.html (with the demo's ticket flagged "Bientôt 7
jours"), answers it; the school sees the answer in its list, and receives it by email."""
import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import demo_login
from tests.browser.console_steps import MFA_CODE, agent_headers
from tests.stack_support import mail_to


def test_the_public_form_says_which_fields_are_missing(site):
    page = site.open("contact.html")
    expect(page.get_by_role("heading", name="Contact et aide")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Une auto-école"))).to_be_visible()
    page.get_by_role("button", name="Envoyer le message").click()
    summary = page.locator("#formulaire .resume-erreurs")
    expect(summary).to_be_visible()
    expect(page.locator("#erreur-profile")).to_contain_text("Indiquez qui vous êtes")
    expect(page.locator("#erreur-departement")).to_contain_text("Choisissez votre département")
    expect(page.locator("#erreur-email")).to_contain_text("Indiquez l'adresse")
    site.check("support-formulaire-public-erreurs")


def test_a_school_writes_the_prefecture_answers_and_the_school_reads_the_answer(site, new_site, stack):
    subject = f"Attestation à réimprimer {uuid.uuid4().hex[:6]}"
    answer = "Ouvrez la demande puis « Télécharger l'attestation » : elle s'imprime en recto verso sur une feuille."

    # The school writes from the contact page (the account gives its département and email).
    site.sign_in(demo_login("auto-ecole"))
    page = site.open("contact.html")
    expect(page.locator("#qui-ecrit")).to_contain_text("membre de l'auto-école")
    expect(page.locator("#champ-profile")).to_be_hidden()
    page.locator("#topic").select_option("impression-attestation")
    page.locator("#subject").fill(subject)
    page.locator("#message").fill("Bonjour, l'attestation d'inscription de notre élève ne s'imprime pas "
                                             "sur une seule feuille. Comment faire ?")
    page.get_by_role("button", name="Envoyer le message").click()
    confirmation = page.locator("#confirmation")
    expect(confirmation).to_contain_text("Réponse au plus tard le")
    ticket = re.search(r"n° (S-[A-Z0-9]{10})", confirmation.inner_text()).group(1)
    expect(page.locator("#liste-messages")).to_contain_text(subject)
    site.check("support-ecole-message-envoye")

    # The prefecture's administrator of the Rhône answers it in the support page.
    agent_headers(stack, "prefecture")
    admin = new_site()
    admin.sign_in(demo_login("prefecture"), code=MFA_CODE)
    desk = admin.open("support.html")
    expect(desk.locator("#tableau-file")).to_contain_text(subject)
    expect(desk.locator("#tableau-file")).to_contain_text("Bientôt 7 jours")  # the demo's six-day-old ticket
    admin.check("support-file-prefecture")
    desk.get_by_role("button", name=f"Ouvrir le message « {subject} »").click()
    expect(desk.get_by_role("heading", name=re.compile(ticket))).to_be_visible()
    desk.locator("#answer").fill(answer)
    desk.get_by_role("button", name="Envoyer la réponse").click()
    expect(desk.locator("#etat-reponse")).to_contain_text("est enregistrée")
    expect(desk.locator("#reponse-existante")).to_contain_text(answer)
    admin.check("support-reponse-envoyee")
    desk.get_by_role("button", name="Retour à la liste").click()
    expect(desk.locator("#tableau-file")).not_to_contain_text(subject)

    # The school sees the answer in its list, and in its mailbox.
    page = site.open("contact.html")
    card = page.locator("article.message-support", has_text=subject)
    expect(card).to_contain_text("Répondu")
    expect(card).to_contain_text(answer)
    site.check("support-ecole-reponse-lue")
    mail = mail_to(stack, demo_login("auto-ecole"), matching=ticket)
    assert "réponse du support" in mail["subject"]
