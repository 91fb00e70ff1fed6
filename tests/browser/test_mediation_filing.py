"""Assisted filing in the browser (issue 9): the demo digital mediator files a registration with a
person who has neither email nor mobile, records the person's consent at the summary, submits it,
and finds the page of the letters to post."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import demo_login
from tests.browser.school_steps import (SLOW_MS, choose, fill_categories, fill_civil_status, fill_contact,
                                        fill_declarations, save_step, send_documents)


def test_a_mediator_files_with_the_person_s_consent_and_finds_the_letters_to_post(site):
    site.sign_in(demo_login("mediateur"))
    page = site.open("demandes.html#nouvelle")
    expect(page.locator("#titre-page")).to_have_text("Demandes accompagnées")
    expect(page.locator("#bloc-mandat")).to_be_hidden()  # a mediator files in one mode: with consent
    choose(page, "nouvelle-procedure-inscription")
    page.get_by_role("button", name="Commencer la demande").click()
    page.wait_for_url(re.compile(r"demande\.html#id=\d{12}"))
    page.get_by_role("heading", name="État civil Étape 2 sur 7").wait_for()
    fill_civil_status(page)
    save_step(page, "Adresse et coordonnées Étape 3 sur 7")
    fill_contact(page, "")
    page.locator("#contact-mobile_phone").fill("")  # neither email nor mobile: news by post
    expect(page.locator("#aide-contact-mediation")).to_contain_text("par courrier")
    site.check("mediation-etape-3-sans-courriel")
    save_step(page, "Catégories et formation Étape 4 sur 7")
    fill_categories(page)
    save_step(page, "Déclarations Étape 5 sur 7")
    fill_declarations(page)
    save_step(page, "Pièces justificatives Étape 6 sur 7")
    send_documents(site)
    page.get_by_role("link", name="Continuer vers le récapitulatif").click()
    page.get_by_role("heading", name="Récapitulatif et dépôt Étape 7 sur 7").wait_for()
    expect(page.locator("#manques")).to_contain_text("Consentement de la personne accompagnée")
    form = page.locator("#formulaire-consent")
    expect(form.locator("#consent-birth_name")).to_have_value("Dupont")  # from the civil status
    form.locator("#consent-method").select_option("formulaire-signe")
    form.locator("#consent-consented_on").fill("2026-11-30")
    form.get_by_role("button", name="Enregistrer le consentement").click()
    expect(page.locator("#avis")).to_contain_text("Consentement enregistré", timeout=SLOW_MS)
    expect(page.locator("#etat-recapitulatif")).to_contain_text("La demande est complète", timeout=SLOW_MS)
    expect(page.locator("#entete")).to_contain_text("France Services de Villeurbanne")
    site.check("mediation-etape-7-consentement")
    page.get_by_role("button", name="Déposer la demande").click()
    expect(page.locator("#avis")).to_contain_text("La demande est déposée", timeout=SLOW_MS)
    expect(page.locator("#entete")).to_contain_text("consentement de Léa Dupont")

    page = site.open("courriers.html")
    expect(page.locator("#etat-courriers")).to_contain_text("Aucun courrier à envoyer")
    site.check("mediation-courriers")
