"""Browser tests: Debian's Chromium driven by Playwright (no browser download) against `make run`'s
stack, started once for the whole directory. Every page a test opens is checked with axe-core
(RGAA ≈ WCAG 2.1 AA: no serious or critical violation) and photographed under test-output/."""
import os
import re
import shutil
from pathlib import Path

import pytest

from tests import patience
from tests.stack_support import DEMO_PASSWORD, PROJECT_DIR, api_session, demo_login, running_stack, stop_stack

__all__ = ["DEMO_PASSWORD", "api_session", "demo_login"]  # the tests import them from here too

CHROMIUM = os.environ.get("PERMIS_CHROMIUM", "/usr/bin/chromium")
AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("PERMIS_TEST_OUTPUT", PROJECT_DIR / "test-output")) / "screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 375, "height": 740}  # a phone
TABLET = {"width": 768, "height": 1024}  # the examiner's tablet, held upright


def pytest_collection_modifyitems(items):
    """A browser test may start the stack (up to a minute and a half on a busy machine) and then
    wait for the workers: 300 s unless the test says otherwise (pytest.ini gives 120; tests/conftest.py
    scales either to the machine's load)."""
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.timeout(300))


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = running_stack(tmp_path_factory.mktemp("browser-stack"))
    yield running
    stop_stack(running)


@pytest.fixture(autouse=True)
def patient_expectations():
    """Playwright's expect() waits up to 15 s (5 by default), scaled to the machine's load when each
    test starts: a sign-up or a submission goes through moto's Cognito, S3 and the workers, which a
    shared 2-core machine can slow to seconds."""
    from playwright.sync_api import expect

    expect.set_options(timeout=patience.ms(15_000))
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install chromium (.ci/run does it).")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci (make test does it).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


# What a person must never read on a page: English (the words an untranslated message or a raw value
# shows), and a request's current status (a badge marked data-statut) without, in the same block
# (data-avec-statut), what happens next and who must act (data-prochaine-etape).
ENGLISH = (r"\b(the|and|of|your|please|error|errors|loading|submit|cancel|undefined|null|NaN|true|false|Internal|"
           r"Forbidden|Not Found|Missing Authentication Token|Unauthorized|Bad Request|invalid|required|field)\b")
PAGE_TEXT_PROBLEMS = """() => {
  const problems = [];
  const visible = (node) => Boolean(node.offsetParent || node.getClientRects().length);
  if (document.documentElement.lang !== "fr") problems.push("the page is not declared French (lang)");
  const english = new RegExp(%r, "g");
  const found = (document.body.innerText.match(english) || []);
  if (found.length) problems.push("English text: " + Array.from(new Set(found)).join(", "));
  for (const badge of document.querySelectorAll("[data-statut]")) {
    if (!visible(badge)) continue;
    const block = badge.closest("[data-avec-statut]");
    const next = block && Array.from(block.querySelectorAll("[data-prochaine-etape]"))
      .find((hint) => visible(hint) && hint.textContent.trim());
    if (!next) problems.push("the status « " + badge.textContent.trim() + " » says no next step");
  }
  return problems;
}""" % ENGLISH


def tick(control, on=True):
    """Checks (or, on=False, unchecks) a DSFR radio or checkbox as a person does: on its label, which
    draws the box over the input. The click waits until the label stands still and takes the click;
    a forced click on the input's place could land elsewhere while the page settles."""
    from playwright.sync_api import expect

    if control.is_checked() != on:
        control.page.locator(f'label[for="{control.get_attribute("id")}"]').click()
    if on:
        expect(control).to_be_checked()
    else:
        expect(control).not_to_be_checked()


# A page is read once it is loaded, the DSFR has started (it sets the theme on <html>) and none of the
# page's API calls is under way (web/commun.js counts them), then two frames later (the DSFR binds its
# components frame by frame): the state Playwright's "networkidle" waits for, without its half-second
# of silence after each load. Without JavaScript, once loaded.
# (`Permis` is a global constant of commun.js, not a property of window.)
PAGE_SETTLED = """() => document.readyState === 'complete' && (typeof Permis === 'undefined'
  || (Permis.apiIdle() && document.documentElement.hasAttribute('data-fr-theme')))"""
TWO_FRAMES = """() => typeof Permis !== 'undefined'
  && new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"""


def settle(page):
    from playwright.sync_api import Error

    for attempt in range(3):
        page.wait_for_load_state("load")
        page.wait_for_function(PAGE_SETTLED)
        try:
            page.evaluate(TWO_FRAMES)
            return
        except Error as error:  # the page went on to another one meanwhile (a redirection): that one
            if "Execution context was destroyed" not in str(error) or attempt == 2:
                raise


class Site:
    """One person's browser tab on the site, with what the tests need around it."""

    def __init__(self, browser, stack, viewport, touch=False, color_scheme="light", javascript=True):
        # The pages run under their own Content-Security-Policy: a request it blocks fails the test as
        # it fails for a person (axe-core is evaluated through the driver, which the CSP does not see).
        # color_scheme: the device's (the pages follow it until a theme is chosen in "Paramètres
        # d'affichage").
        self.context = browser.new_context(viewport=viewport, locale="fr-FR", has_touch=touch,
                                           timezone_id="Europe/Paris", accept_downloads=True,
                                           color_scheme=color_scheme, java_script_enabled=javascript)
        self.context.set_default_timeout(patience.ms(15_000))
        self.page = self.context.new_page()
        self.stack = stack
        self.web = stack["urls"]["web"]
        self.api = stack["urls"]["api"]
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" and "Content Security Policy" in message.text else None)

    def open(self, path):
        """Loads the page afresh, as a person typing its address does (the same page with another
        fragment would otherwise stay as it is: a fragment alone does not reload it)."""
        target = self.web + "/" + path.lstrip("/")
        if self.page.url == target:
            self.page.reload()
        elif self.page.url.split("#")[0] == target.split("#")[0]:
            self.page.goto(target)
            self.page.reload()
        else:
            self.page.goto(target)
        settle(self.page)
        return self.page

    def check(self, name, full_page=True):
        """axe-core on the page as it is now (no serious or critical violation), and a screenshot
        test-output/screenshots/<name>.png. Also fails on a script error seen so far."""
        page = self.page
        settle(page)
        # Colours are read once a theme's or a dialog's CSS transitions have ended: mid-way, a
        # button's colour is neither theme's and axe would measure a contrast no one sees.
        page.wait_for_function("""() => document.getAnimations().every(
            a => !(a instanceof CSSTransition) || a.playState !== 'running')""")
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        # Every rule still runs on every node; only the violations are gathered and sent back (the
        # passes' nodes, unused here, cost more than half of axe's time).
        results = page.evaluate("""() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations']})""")
        bad = [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
        problems = page.evaluate(PAGE_TEXT_PROBLEMS)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=full_page)
        assert not bad, f"accessibility violations on {page.url}:\n" + "\n".join(bad)
        assert not problems, f"on {page.url}:\n" + "\n".join(problems)
        assert not self.errors, f"script errors on {page.url}: {self.errors}"

    def sign_in(self, email, password=DEMO_PASSWORD, code=None):
        """Signs in through connexion.html (code: the 6-digit MFA code for agents; locally any)."""
        page = self.open("connexion.html")
        page.get_by_role("textbox", name="Adresse électronique").fill(email)
        page.locator("#password").fill(password)
        page.get_by_role("button", name="Se connecter", exact=True).last.click()
        if code:
            page.get_by_label("Code à 6 chiffres").fill(code)
            page.get_by_role("button", name="Valider").click()
        page.wait_for_url(re.compile(r"(espace|valider|demandes|console|examen)\.html"))
        settle(page)
        return page

    def close(self):
        self.context.close()


@pytest.fixture
def site(browser, stack):
    opened = Site(browser, stack, WIDE)
    yield opened
    opened.close()


@pytest.fixture
def tablet(browser, stack):
    """A touch screen of 768 px: the examiner's."""
    opened = Site(browser, stack, TABLET, touch=True)
    yield opened
    opened.close()


@pytest.fixture
def phone(browser, stack):
    opened = Site(browser, stack, NARROW)
    yield opened
    opened.close()


@pytest.fixture
def new_site(browser, stack):
    """Opens more tabs (another person), wide or narrow: new_site(NARROW), on a device in dark mode:
    new_site(NARROW, color_scheme="dark"), without JavaScript: new_site(javascript=False)."""
    opened = []

    def make(viewport=WIDE, **options):
        tab = Site(browser, stack, viewport, **options)
        opened.append(tab)
        return tab

    yield make
    for tab in opened:
        tab.close()
