"""Convocations (issue 20, item 7), where their users stand: the school, on the request's page at
1280 px (and read back on its phone at 375 px), convenes its candidate (a validated registration) to the theory test today and to the
practical in two weeks, and cancels the practical; the examiner, on a 768 px tablet, finds the
candidate among the day's convened candidates of the centre, taps the row, and records the result
with the test and category already set; the row then says it is done."""
import re
import uuid
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from chalicelib.domain.dates import paris_day
from tests.browser.conftest import demo_login, tick
from tests.browser.console_steps import MFA_CODE, agent_headers, file_requests, validated_over_api


def test_a_school_convenes_its_candidate_and_the_examiner_records_the_result_from_the_days_list(site, phone, tablet,
                                                                                                stack):
    [number] = file_requests(stack, 1)
    neph = validated_over_api(stack, number)  # the candidate has a NEPH
    centre = f"Centre d'examen de Vénissieux {uuid.uuid4().hex[:6]}"  # this test's own day sheet
    today = paris_day(datetime.now(timezone.utc))

    # The school convenes from the request's page: a day in the past is refused next to the field.
    site.sign_in(demo_login("auto-ecole"))
    page = site.open(f"demande.html#id={number}")
    form = page.locator("#formulaire-convocation")
    expect(page.locator("#etat-convocations")).to_contain_text("Aucune convocation")

    def convene(test, day, time):
        tick(form.get_by_label(test))
        form.get_by_label("Centre d'examen").fill(centre)
        form.get_by_label("Jour").fill(day.isoformat())
        form.get_by_label(re.compile("^Heure")).fill(time)
        form.get_by_role("button", name="Convoquer le candidat").click()

    convene("Code (théorie)", today - timedelta(days=1), "09:00")
    expect(page.locator("#erreur-convocation-day")).to_contain_text("Le jour de l'épreuve est passé")
    convene("Code (théorie)", today, "09:00")
    expect(page.locator("#etat-convocations")).to_contain_text("Convocation enregistrée : Épreuve théorique B")
    convene("Conduite (pratique)", today + timedelta(days=14), "10:30")
    expect(page.locator("#convocations > li")).to_have_count(2)
    site.check("convocations-demande-large")
    page.get_by_role("button", name=re.compile("Annuler la convocation du")).click()
    expect(page.locator("#etat-convocations")).to_contain_text("Convocation annulée")
    expect(page.locator("#convocations > li")).to_have_count(1)
    expect(page.locator("#convocations")).to_contain_text("Épreuve théorique B")
    # The same page on the school's phone: the convocation and the form fit at 375 px.
    phone.sign_in(demo_login("auto-ecole"))
    small = phone.open(f"demande.html#id={number}")
    expect(small.locator("#convocations > li")).to_have_count(1)
    small.locator("#formulaire-convocation").scroll_into_view_if_needed()
    phone.check("convocations-demande-telephone")
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The examiner, on the tablet, opens the centre's day: the candidate is there, to record.
    agent_headers(stack, "inspecteur")  # double authentication set up
    exam = tablet.sign_in(demo_login("inspecteur"), code=MFA_CODE)
    exam.get_by_role("heading", name="Examens du jour", exact=True).wait_for()
    exam.get_by_label("Centre d'examen").fill(centre.upper())  # typed any way: the same centre
    exam.get_by_role("button", name="Afficher la feuille du jour").tap()
    expect(exam.locator("#etat-convoques")).to_contain_text("1 convoqué, 1 résultat à saisir")
    row = exam.locator("#tableau-convoques tbody tr")
    expect(row).to_contain_text(neph)
    expect(row).to_contain_text("09 h 00")
    row.get_by_role("button", name=re.compile("^Saisir le résultat de")).tap()
    expect(exam.locator("#nom-candidat")).to_contain_text(f"NEPH {neph}")
    expect(exam.locator("#titre-resultat")).to_be_focused()
    assert exam.locator("#test-theorie").is_checked() and exam.locator("#categorie").input_value() == "B"
    exam.locator("#champ-resultat").get_by_text("Favorable", exact=True).tap()
    exam.get_by_label("Examinateur").fill("Mme Roche")
    exam.get_by_role("button", name="Enregistrer le résultat").tap()
    exam.locator("#avis").get_by_text("Résultat enregistré").wait_for()
    expect(row).to_contain_text("Saisi")
    expect(exam.locator("#etat-convoques")).to_contain_text("0 résultat à saisir")
    tablet.check("examen-convoques-tablette")
    assert exam.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
