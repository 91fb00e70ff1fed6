"""Appointments for complex dossiers (issue 9) in the pages: the demo prefecture administrator
publishes a slot in creneaux.html, the demo school books it in rendez-vous.html for one of its
requests, and the Rhône's DDT agent sees it in the day's appointments with the request."""
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.browser.conftest import NARROW, demo_login
from tests.browser.console_steps import MFA_CODE, agent_headers, school_caller

DAY = (datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/Paris")).date() + timedelta(days=5)).isoformat()


def test_the_administrator_publishes_a_slot_the_school_books_it_and_the_agent_sees_it(new_site, stack):
    place = f"Préfecture du Rhône, salle {uuid.uuid4().hex[:6]}"
    call = school_caller(stack)
    number = call("POST", "/requests", {"procedure": "inscription", "mandate": "mandat-papier"})["request_id"]
    call("PUT", f"/requests/{number}/steps/civil_status", {
        "birth_name": "Garnier", "first_names": "Emma", "sex": "F", "birth_date": "2005-03-02",
        "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}})

    # The administrator publishes the slot (a missing place is refused in the page first).
    admin = new_site()
    agent_headers(stack, "prefecture")
    admin.sign_in(demo_login("prefecture"), code=MFA_CODE)
    page = admin.open("creneaux.html")
    page.locator("#bloc-publication").wait_for()
    page.locator("#creneau-date").fill(DAY)
    page.get_by_label("Heure de début").fill("16:15")
    page.get_by_label("Nombre d'auto-écoles reçues").fill("1")
    page.get_by_role("button", name="Publier le créneau").click()
    page.locator("#erreur-creneau-place").get_by_text("Indiquez le lieu.").wait_for()
    page.get_by_label("Lieu").fill(place)
    page.get_by_role("button", name="Publier le créneau").click()
    page.locator("#etat-publication").get_by_text("Créneau publié").wait_for()
    page.locator("#contenu-publies tr", has_text=place).wait_for()
    admin.check("creneaux-administrateur")

    # The school chooses it, picks its request, gives the reason and books.
    school = new_site()
    school.sign_in(demo_login("auto-ecole"))
    page = school.open("rendez-vous.html")
    row = page.locator("#contenu-creneaux tr", has_text=place)
    row.wait_for()
    assert "1 place" in row.text_content()
    school.check("rendez-vous-creneaux")
    row.get_by_role("button", name="Choisir").click()
    page.get_by_label("Demande concernée").select_option(number)
    page.get_by_label("Motif du rendez-vous").fill("Retour au permis : relevé d'information à examiner")
    page.get_by_role("button", name="Réserver").click()
    page.locator("#etat-reservation").get_by_text(f"pour la demande n° {number}").wait_for()
    mine = page.locator("#contenu-mes-rendez-vous tr", has_text=f"N° {number}")
    mine.wait_for()
    assert mine.get_by_role("button", name=f"Annuler le rendez-vous de la demande {number}").is_visible()
    page.locator("#contenu-creneaux tr", has_text=place).get_by_text("Complet").wait_for()
    school.check("rendez-vous-reserve")

    # The DDT agent opens the day and sees the appointment with the request.
    agent = new_site()
    agent_headers(stack, "instructeur-ddt")
    agent.sign_in(demo_login("instructeur-ddt"), code=MFA_CODE)
    page = agent.open("creneaux.html")
    assert page.locator("#bloc-publication").is_hidden()
    page.locator("#jour-date").fill(DAY)
    page.get_by_role("button", name="Afficher").click()
    appointment = page.locator("#contenu-jour tr", has_text=f"N° {number}")
    appointment.wait_for()
    text = appointment.text_content()
    assert all(part in text for part in ("Auto-école de la Part-Dieu", "Emma Garnier", "Brouillon",
                                         "relevé d'information à examiner"))
    assert page.locator("#contenu-jour h3", has_text=place).inner_text().startswith("16h15")
    agent.check("creneaux-jour-agent")


def test_both_pages_fit_a_phone(new_site, stack):
    for role, page_name, code in (("auto-ecole", "rendez-vous.html", None), ("prefecture", "creneaux.html", MFA_CODE)):
        tab = new_site(NARROW)
        if code:
            agent_headers(stack, role)
        tab.sign_in(demo_login(role), code=code)
        page = tab.open(page_name)
        page.locator("main h2").first.wait_for()
        page.wait_for_load_state("networkidle")
        tab.check(f"{page_name.removesuffix('.html')}-telephone")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{page_name} scrolls sideways by {overflow} px"
