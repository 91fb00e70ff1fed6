"""What a first visit to the pages costs the person's browser: bytes downloaded (raw and gzipped,
as CloudFront compresses them), requests, and time to the load event, per page, against a
reference measured in the same run: a bare DSFR page (its CSS, its script, the header markup, a
title), served by the same local web server. Debian's Chromium through Playwright, a fresh
context (empty cache) per visit; visits alternate page and reference, medians are compared.

The API is not started: the pages' own calls fail fast, which leaves what this measures (the
static files a visit loads) unchanged. `python bench/web_pages.py [--rounds N]` prints JSON."""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

CHROMIUM = "/usr/bin/chromium"
# The pages one reaches signed out. The signed-in ones need the API (without it they send the
# visitor to the sign-in page, which would be measured instead); their scripts are loaded the same way.
PAGES = ("index.html", "connexion.html", "inscription-candidat.html", "inscription-auto-ecole.html", "suivi.html",
         "alertes.html", "verification.html", "mot-de-passe.html")
BYTES_RATIO_TARGET = 1.5
TIME_RATIO_TARGET = 1.5
REFERENCE = "reference-dsfr.html"
REFERENCE_HTML = """<!doctype html>
<html lang="fr" data-fr-scheme="light"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Référence</title>
<link rel="stylesheet" href="dsfr/dsfr.min.css"></head>
<body><header role="banner" class="fr-header"><div class="fr-header__body"><div class="fr-container">
<div class="fr-header__body-row"><div class="fr-header__brand"><div class="fr-header__brand-top">
<div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div></div>
<div class="fr-header__service"><p class="fr-header__service-title">Permis en ligne</p></div></div></div>
</div></div></header><main class="fr-container"><h1>Référence</h1><p>Une page DSFR nue.</p></main>
<script type="module" src="dsfr/dsfr.module.min.js"></script></body></html>"""


def visit(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route(f"**/{REFERENCE}", lambda route: route.fulfill(body=REFERENCE_HTML, content_type="text/html"))
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    load_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
    raw = gzipped = 0
    origin = url.rsplit("/", 1)[0]
    files = 0
    for response in responses:
        if not response.url.startswith(origin) or response.status >= 400:
            continue
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 — a redirect or an aborted request has no body
            continue
        files += 1
        raw += len(body)
        gzipped += len(gzip.compress(body, 6))
    context.close()
    return {"raw_bytes": raw, "gzip_bytes": gzipped, "requests": files, "load_ms": load_ms}


def measure(rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from chalicelib.local.processes import free_ports
    from chalicelib.local.web_server import build_web_server

    (port,) = free_ports(1)
    server = build_web_server("127.0.0.1", port, "http://127.0.0.1:9")  # no API: its calls fail at once
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}/"
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in (REFERENCE, *PAGES)}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            for name in (REFERENCE, *PAGES):  # warm-up: disk caches, the browser's own start
                visit(browser, base + name)
            for _ in range(rounds):
                for name in PAGES:
                    samples[REFERENCE].append(visit(browser, base + REFERENCE))
                    samples[name].append(visit(browser, base + name))
            browser.close()
    finally:
        server.shutdown()

    def median(name: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[name])

    reference = {key: median(REFERENCE, key) for key in ("raw_bytes", "gzip_bytes", "requests", "load_ms")}
    pages = []
    for name in PAGES:
        figures = {key: median(name, key) for key in ("raw_bytes", "gzip_bytes", "requests", "load_ms")}
        figures["bytes_ratio"] = figures["gzip_bytes"] / reference["gzip_bytes"]
        figures["time_ratio"] = figures["load_ms"] / reference["load_ms"]
        pages.append({"page": name, **figures})
    worst_bytes = max(pages, key=lambda p: p["bytes_ratio"])
    worst_time = max(pages, key=lambda p: p["time_ratio"])
    return {
        "rounds": rounds, "reference": reference, "pages": pages,
        "bytes_ratio_target": BYTES_RATIO_TARGET, "time_ratio_target": TIME_RATIO_TARGET,
        "worst_bytes": worst_bytes, "worst_time": worst_time,
        "bytes_ok": worst_bytes["bytes_ratio"] <= BYTES_RATIO_TARGET,
        "time_ok": worst_time["time_ratio"] <= TIME_RATIO_TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    print(json.dumps(measure(parser.parse_args().rounds), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
