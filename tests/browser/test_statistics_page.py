"""The prefecture's statistics page (statistiques.html): the key figures, the three charts with their
data tables, the decision delays, the filters kept in the address (shared links, the back button),
the CSV download, the refusals shown in French.

Two kinds of tests:
- `test_contract_...`: the API answers are served by the test (`page.route("**/statistics**")`) in the
  shape of /work/prompts/stats-contract.md (the contract shared with the statistics backend), so
  they can assert exact figures and the bars' relative heights. The sign-in is the real stack's.
- `test_backend_...`: NEED THE STATISTICS BACKEND (GET /statistics, GET /statistics/export) merged:
  nothing is faked, the demo prefecture administrator reads the real figures."""
import copy
import itertools
import json
import re
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import api_session, demo_login
from tests.browser.console_steps import MFA_CODE, agent_headers

# The contract's example, with the four waiting statuses and three days of series.
CONTRACT = {
    "scope": {"departement": "69", "label": "Rhône (69)"},
    "date": "2017-10-11",
    "period": {"from": "2017-10-09", "to": "2017-10-11"},
    "schools": {
        "agrements": 365, "accounts_opened": 259, "opening_rate": 0.7096, "national_opening_rate": 0.732,
        "opening_percent": 70.9, "national_opening_percent": 73.2,
        "filing": 94,
        "by_requests_filed": [{"band": "1-4", "label": "1 à 4 demandes", "schools": 63},
                              {"band": "5-10", "label": "5 à 10 demandes", "schools": 27},
                              {"band": "11+", "label": "Plus de 10 demandes", "schools": 4}],
    },
    "requests": {
        "submitted": 700, "processed": 632,
        "waiting_by_status": [
            {"status": "attente-validation-usager", "label": "Attente validation usager", "count": 12},
            {"status": "verification-images", "label": "Vérification des images", "count": 6},
            {"status": "en-instruction", "label": "En cours d'instruction", "count": 24},
            {"status": "complement-demande", "label": "Complément demandé", "count": 0}],
        "decision_delays": [
            {"procedure": "inscription", "label": "Inscription au permis", "decisions": 480,
             "median_hours": 30.5, "p90_hours": 80.0},
            {"procedure": "titre", "label": "Demande de titre", "decisions": 0, "median_hours": None,
             "p90_hours": None}],
    },
    "support": {"opened": 40, "answered": 35, "answered_within_promise": 33, "breaches": 3},
    "series": [{"date": "2017-10-09", "submitted": 3, "processed": 2, "accounts_opened": 1},
               {"date": "2017-10-10", "submitted": 8, "processed": 0, "accounts_opened": 0},
               {"date": "2017-10-11", "submitted": 5, "processed": 6, "accounts_opened": 2}],
}
NATIONAL = {**copy.deepcopy(CONTRACT), "scope": {"departement": None, "label": "France entière"}}
CSV = "\ufeffindicateur;valeur\r\ncomptes auto-écoles ouverts;259\r\n"
CSV_NAME = "statistiques-69-2017-10-11.csv"


def paris_today():
    return datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


class FakeStatistics:
    """Serves GET /statistics and /statistics/export as the contract says; `answer` may be replaced
    by (status, body) for a refusal. Records the parameters of every call."""

    def __init__(self, page, web_origin):
        self.calls = []
        self.answer = None
        self.origin = web_origin
        page.route("**/statistics**", self.handle)

    def cors(self):
        # The API is on another port than the pages locally: a cross-origin answer.
        return {"Access-Control-Allow-Origin": self.origin, "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Expose-Headers": "Content-Disposition, X-Request-Id"}

    def handle(self, route):
        request = route.request
        if request.method == "OPTIONS":
            return route.fulfill(status=200, headers=self.cors(), body="")
        url = urlparse(request.url)
        params = {name: values[0] for name, values in parse_qs(url.query).items()}
        self.calls.append((url.path.rsplit("/", 1)[-1], params, request.headers.get("authorization", "")))
        if self.answer:
            status, body = self.answer
            return route.fulfill(status=status, headers=self.cors(), content_type="application/json", body=json.dumps(body))
        if url.path.endswith("/statistics/export"):
            return route.fulfill(status=200, body=CSV.encode(), headers={
                **self.cors(), "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{CSV_NAME}"'})
        body = NATIONAL if params.get("departement") == "national" else CONTRACT
        return route.fulfill(status=200, headers=self.cors(), content_type="application/json", body=json.dumps(body))


def sign_in_admin(site):
    agent_headers(site.stack, "prefecture")  # double authentication set up
    site.sign_in(demo_login("prefecture"), code=MFA_CODE)


def open_statistics(site, path="statistiques.html"):
    page = site.open(path)
    page.locator("#resultats:not([hidden]), #bloc-erreur:not([hidden]), #bloc-acces:not([hidden]), "
                 ".resume-erreurs:not([hidden])").first.wait_for()
    return page


def tile(page, name):
    return page.locator(f'[data-chiffre="{name}"]')


def chart_table(page, key):
    """Opens the chart's « Voir les données » and returns its table."""
    figure = page.locator(f'[data-graphique="{key}"]')
    figure.get_by_role("button", name=re.compile("^Voir les données")).click()
    table = figure.get_by_role("table")
    expect(table).to_be_visible()
    return table


def chart_data(figure, component):
    """The labels and values a dsfr-chart component was given (its x and y attributes)."""
    chart = figure.locator(component)
    return json.loads(chart.get_attribute("x")), json.loads(chart.get_attribute("y"))


def test_contract_key_figures_charts_tables_and_delays(site):
    sign_in_admin(site)
    fake = FakeStatistics(site.page, site.web)
    page = open_statistics(site)

    name, params, authorization = fake.calls[0]
    assert name == "statistics" and params == {"departement": "69", "date": paris_today()}
    assert authorization.startswith("Bearer ")
    assert page.locator("#departement").input_value() == "69"  # the administrator's own département
    options = page.locator("#departement option").evaluate_all("(options) => options.map((o) => o.value)")
    assert options[:3] == ["national", "01", "02"] and options.index("2A") == options.index("19") + 1
    assert f"departement=69&date={paris_today()}" in page.url  # the link to share
    expect(page.get_by_role("heading", name="Rhône (69) au 11 octobre 2017")).to_be_visible()
    expect(page.locator("#periode")).to_contain_text("du 9 octobre 2017 au 11 octobre 2017")

    expect(tile(page, "comptes")).to_contain_text("259")
    expect(tile(page, "comptes")).to_contain_text("70,9 % des 365 agréments (France entière : 73,2 %)")
    expect(tile(page, "etablissements")).to_contain_text("94")
    expect(tile(page, "deposees")).to_contain_text("700")
    expect(tile(page, "traitees")).to_contain_text("632")
    expect(tile(page, "support")).to_contain_text("40")
    expect(tile(page, "support-semaine")).to_contain_text("33")
    expect(tile(page, "promesses")).to_contain_text("3")

    # Three charts of the DSFR (dsfr-chart), each a titled image with a text alternative.
    pictures = page.locator('#graphiques [role="img"]')
    expect(pictures).to_have_count(3)
    for index in range(3):
        labelled_by = pictures.nth(index).get_attribute("aria-labelledby").split()
        texts = [page.locator(f"#{id_}").text_content() for id_ in labelled_by]
        assert all(texts), labelled_by
        expect(pictures.nth(index).locator("canvas")).to_be_visible()  # drawn
    schools = page.locator('[data-graphique="auto-ecoles"]')
    assert "1 à 4 demandes : 63 auto-écoles ; 5 à 10 demandes : 27 auto-écoles ; Plus de 10 demandes : 4 auto-écoles." \
        in schools.locator('[id$="-desc"]').text_content()
    assert chart_data(schools, "bar-chart") == ([["1 à 4 demandes", "5 à 10 demandes", "Plus de 10 demandes"]],
                                                [[63, 27, 4]])
    waiting = page.locator('[data-graphique="en-attente"]')
    assert chart_data(waiting, "bar-chart")[1][0][3] == 0  # Complément demandé: 0
    days, values = chart_data(page.locator('[data-graphique="par-jour"]'), "line-chart")
    assert days == [["09/10", "10/10", "11/10"]] * 2 and values == [[3, 8, 5], [2, 0, 6]]  # one point a day
    expect(page.locator('[data-graphique="par-jour"]')).to_contain_text("Demandes traitées")  # its legend
    # The chart's tooltip: the figure under the pointer.
    canvas, tooltip = schools.locator("canvas"), schools.locator(".tooltip")
    box = canvas.bounding_box()
    deadline = time.monotonic() + patience.seconds(30)
    for step in itertools.count():  # a pointer that moved before the chart was drawn moves again, as a person's would
        canvas.hover(position={"x": box["width"] * 0.2, "y": box["height"] * (0.6 + 0.02 * (step % 5))})
        if "63" in tooltip.inner_text() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(tooltip).to_contain_text("63")

    # The figures readable without the pictures.
    site.check("statistiques-donnees-fermees")
    table = chart_table(page, "auto-ecoles")
    expect(table.get_by_role("row", name="5 à 10 demandes 27")).to_be_visible()
    table = chart_table(page, "en-attente")
    expect(table.get_by_role("row", name="En cours d'instruction 24")).to_be_visible()
    table = chart_table(page, "par-jour")
    expect(table.get_by_role("row", name="10 octobre 2017 8 0 0")).to_be_visible()
    delays = page.locator("#delais table")
    expect(delays.get_by_role("row", name="Inscription au permis 480 1 j 7 h (30,5 h) 3 j 8 h (80 h)")).to_be_visible()
    expect(delays.get_by_role("row", name="Demande de titre 0 — —")).to_be_visible()
    site.check("statistiques-large")


def test_contract_filters_go_into_the_address_and_back_returns_to_the_previous_figures(site):
    sign_in_admin(site)
    fake = FakeStatistics(site.page, site.web)
    page = open_statistics(site)
    page.get_by_label("Département").select_option("national")
    page.locator("#du").fill("2017-07-14")
    page.locator("#date").fill("2017-10-11")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="France entière au 11 octobre 2017")).to_be_visible()
    assert fake.calls[-1][1] == {"departement": "national", "date": "2017-10-11", "du": "2017-07-14"}
    assert page.url.endswith("#departement=national&date=2017-10-11&du=2017-07-14")
    # National: no "France entière" rate beside the rate, it is the same.
    expect(tile(page, "comptes")).not_to_contain_text("France entière :")

    page.go_back()
    expect(page.get_by_role("heading", name="Rhône (69) au 11 octobre 2017")).to_be_visible()
    assert fake.calls[-1][1] == {"departement": "69", "date": paris_today()}
    assert page.locator("#departement").input_value() == "69"

    # A shared link opens on its own figures (a page loaded afresh, from another page).
    site.open("espace.html")
    page = open_statistics(site, "statistiques.html#departement=2A&date=2017-09-30&du=2017-09-01")
    assert fake.calls[-1][1] == {"departement": "2A", "date": "2017-09-30", "du": "2017-09-01"}
    assert page.locator("#departement").input_value() == "2A"
    assert page.locator("#du").input_value() == "2017-09-01"


def test_contract_the_csv_is_downloaded_with_the_name_the_api_gives(site):
    sign_in_admin(site)
    fake = FakeStatistics(site.page, site.web)
    page = open_statistics(site)
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Télécharger (CSV)").click()
    download = downloading.value
    assert download.suggested_filename == CSV_NAME
    assert Path(download.path()).read_bytes() == CSV.encode()  # the bytes as the API sent them (BOM too)
    name, params, authorization = fake.calls[-1]
    assert name == "export" and params == {"departement": "69", "date": paris_today()}
    assert authorization.startswith("Bearer ")
    expect(page.locator("#etat")).to_contain_text(f"Fichier {CSV_NAME} téléchargé.")


def test_contract_refusals_are_shown_in_french(site):
    sign_in_admin(site)
    fake = FakeStatistics(site.page, site.web)
    fake.answer = (422, {"code": "validation_failed", "message": "La date ne peut pas être dans le futur.",
                         "details": [{"field": "date", "message": "La date ne peut pas être dans le futur."}]})
    page = open_statistics(site, "statistiques.html#departement=69&date=2099-01-01")
    summary = page.locator("#filtres .resume-erreurs")
    expect(summary).to_contain_text("La date ne peut pas être dans le futur.")
    expect(page.locator("#erreur-date")).to_have_text("La date ne peut pas être dans le futur.")
    assert page.locator("#resultats").is_hidden()
    site.check("statistiques-date-refusee")

    fake.answer = (500, {"code": "unexpected_error", "message": "Le service a rencontré un problème inattendu."})
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#bloc-erreur")).to_contain_text("Le service a rencontré un problème inattendu.")

    fake.answer = (403, {"code": "forbidden", "message": "Cette action est réservée aux administrateurs de préfecture."})
    page.get_by_role("button", name="Afficher").click()
    alert = page.locator("#bloc-acces")
    expect(alert).to_contain_text("Cette action est réservée aux administrateurs de préfecture.")
    assert page.locator("#filtres").is_hidden()


def test_contract_the_page_fits_a_phone(phone):
    sign_in_admin(phone)
    FakeStatistics(phone.page, phone.web)
    page = open_statistics(phone)
    expect(page.locator('#graphiques [role="img"] canvas')).to_have_count(3)
    phone.check("statistiques-telephone")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow} px"
    width = page.locator('[data-graphique="par-jour"] canvas').bounding_box()["width"]
    assert 200 < width <= 375  # the chart follows the screen's width


# --- NEED THE STATISTICS BACKEND: the real GET /statistics and /statistics/export ----------------

def test_backend_the_prefecture_administrator_reads_the_figures_and_downloads_the_csv(site):
    sign_in_admin(site)
    page = site.open("statistiques.html")
    page.get_by_role("link", name="Statistiques").first.wait_for()  # the menu entry
    page.locator("#resultats:not([hidden])").wait_for(timeout=patience.ms(60_000))
    expect(page.get_by_role("heading", name=re.compile(r"^Rhône \(69\) au "))).to_be_visible()
    expect(page.locator("#chiffres .stats-chiffre")).to_have_count(8)
    assert re.fullmatch(r"[\d\u202f\u00a0 ]+", tile(page, "comptes").locator(".stats-nombre").inner_text())
    expect(page.locator('#graphiques [role="img"] canvas')).to_have_count(3)
    for key in ("auto-ecoles", "en-attente", "par-jour"):
        expect(chart_table(page, key).locator("tbody tr").first).to_be_visible()
    assert len(chart_data(page.locator('[data-graphique="en-attente"]'), "bar-chart")[1][0]) == 4
    expect(page.locator("#delais")).not_to_be_empty()
    site.check("statistiques-reelles")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Télécharger (CSV)").click()
    download = downloading.value
    assert re.fullmatch(r"statistiques-69-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename), \
        download.suggested_filename
    assert Path(download.path()).read_text(encoding="utf-8-sig").startswith("indicateur;valeur")

    # France entière, by the form.
    page.get_by_label("Département").select_option("national")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name=re.compile(r"^France entière au "))).to_be_visible()
    # The name the API gives (its CORS lets the page read Content-Disposition), not the page's own guess.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Télécharger (CSV)").click()
    assert re.fullmatch(r"statistiques-national-\d{4}-\d{2}-\d{2}\.csv", downloading.value.suggested_filename), \
        downloading.value.suggested_filename

    # A date in the future: the API's French message, next to the field.
    page.locator("#date").fill("2099-01-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#filtres .resume-erreurs")).to_be_visible()
    assert page.locator("#filtres .resume-erreurs").inner_text().strip()


def test_backend_a_school_account_is_refused_in_french(site):
    site.sign_in(demo_login("auto-ecole"))
    page = site.open("statistiques.html")
    page.get_by_role("heading", name="Cette page est réservée aux administrateurs de préfecture").wait_for()
    assert "Professionnel auto-école" in page.locator("#texte-acces").inner_text()
    assert page.locator("#bloc-statistiques").is_hidden()
    site.check("statistiques-auto-ecole")
    # The API refuses it too, in French, whatever the page shows.
    school = site.page.request.get(site.api + "/statistics", headers=api_session(site.stack, demo_login("auto-ecole")))
    assert school.status == 403
    assert school.json()["code"] == "forbidden" and school.json()["message"]
