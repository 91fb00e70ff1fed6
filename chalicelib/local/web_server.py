"""Serves the site: the pages rendered from web/pages/ and what they load (infra/pages.py: the
stylesheet and the pages' scripts, kept in memory), web/'s scripts and styles, the DSFR and the other front-end packages, a /config.json that tells the pages
where the API is, and /boite-mail.json: the emails the application sent through the local SES
(moto), and the SMS through the local SNS, for the local mailbox page. Anything else is the site's
own 404 page, as on the deployed distribution."""
from __future__ import annotations

import functools
import html
import json
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.web_policy import content_security_policy
from infra.pages import STATIC_SUFFIXES, render_site

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB_DIR = os.path.join(PROJECT_DIR, "web")
# The French state design system, installed by npm (make run / make test), never committed; the
# pages ask for dsfr/..., as they will on the CDN where the build copies it next to them.
DSFR_DIR = os.path.join(PROJECT_DIR, "node_modules", "@gouvfr", "dsfr", "dist")
DSFR_PREFIX = "/dsfr/"
# jsQR (npm), which reads a QR code from an image in the browser (verification.html): lib/jsqr/...
JSQR_DIR = os.path.join(PROJECT_DIR, "node_modules", "jsqr", "dist")
JSQR_PREFIX = "/lib/jsqr/"
# ALTCHA's anti-robot widget (npm), its build for a strict CSP: module, stylesheet, worker.
ALTCHA_DIR = os.path.join(PROJECT_DIR, "node_modules", "altcha", "dist_external")
ALTCHA_PREFIX = "/lib/altcha/"
# The DSFR's charts (npm @gouvfr/dsfr-chart): web components, all in one module and its stylesheet.
DSFR_CHART_DIR = os.path.join(PROJECT_DIR, "node_modules", "@gouvfr", "dsfr-chart", "dist", "DSFRChart")
DSFR_CHART_PREFIX = "/lib/dsfr-chart/"
# Folders of node_modules served under a prefix; nothing outside them (no "..").
PACKAGE_PREFIXES = ((DSFR_PREFIX, DSFR_DIR), (JSQR_PREFIX, JSQR_DIR), (ALTCHA_PREFIX, ALTCHA_DIR),
                    (DSFR_CHART_PREFIX, DSFR_CHART_DIR))
# The site's error pages (web/pages/), served with their status.
ERROR_PAGES = {404: "404.html", 500: "500.html", 503: "503.html"}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class WebHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                      ".js": "text/javascript; charset=utf-8"}

    def __init__(self, *args: Any, site_config: dict[str, Any], pages: dict[str, bytes], aws_url: str | None = None,
                 **kwargs: Any):
        self._site_config = site_config
        self._pages = pages
        self._aws_url = aws_url
        super().__init__(*args, directory=WEB_DIR, **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/config.json":
            self._json(self._site_config)
            return
        if path == "/boite-mail.json" and self._aws_url:
            self._json({"messages": local_mailbox(self._aws_url)})
            return
        page = "index.html" if path == "/" else path.lstrip("/")
        if page in self._pages:
            self._page(200, self._pages[page], self.guess_type(page))
            return
        super().do_GET()

    def translate_path(self, path: str) -> str:
        bare = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in PACKAGE_PREFIXES:
            if bare.startswith(prefix):
                relative = os.path.normpath(bare[len(prefix):]).lstrip("/")
                if not relative.startswith(".."):
                    return os.path.join(folder, relative)
                return ""
        name = bare.lstrip("/")
        if "/" in name or not name.endswith(STATIC_SUFFIXES):
            return ""  # not a file of the site: send_error answers with the 404 page
        return super().translate_path(path)

    def list_directory(self, path: Any) -> None:
        self.send_error(404)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The site's own French page for a missing file (404) and a failure (5xx), as deployed."""
        page = ERROR_PAGES.get(code) or (ERROR_PAGES[500] if code >= 500 else None)
        if page and page in self._pages:
            self.close_connection = True
            self._page(code, self._pages[page])
            return
        super().send_error(code, message, explain)

    def _page(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        # Locally the documents bucket is the local AWS (moto): uploads and thumbnails go there.
        self.send_header("Content-Security-Policy", content_security_policy(
            [self._site_config["apiUrl"]], [self._aws_url] if self._aws_url else []))
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def local_mailbox(aws_url: str) -> list[dict[str, Any]]:
    """Emails moto's SES accepted, newest first (moto's own state API; local only)."""
    from chalicelib.local.processes import read_sent_messages

    state = read_sent_messages(aws_url)
    sent = state.get("ses", {}).get("Message", [])
    emails = [{"id": m.get("id"), "to": (m.get("destinations") or {}).get("ToAddresses", []),
               "subject": m.get("subject"), "html": m.get("body"), "sent_order": order}
              for order, m in reversed(list(enumerate(sent)))]
    # The SMS SNS accepted (alerts and their codes), after the emails, newest first too.
    texts = state.get("sns", {}).get("SMS", [])
    return emails + [{"id": f"sms-{order}", "to": [m.get("phone_number") or ""],
                      "subject": "SMS : " + (m.get("message") or "")[:60],
                      "html": f"<p>{html.escape(m.get('message') or '')}</p>", "sent_order": order}
                     for order, m in reversed(list(enumerate(texts)))]


class WebServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that closes a connection mid-file (a tab closed, a test's page gone) is not an
        error worth a traceback on the console; anything else still is."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def build_web_server(host: str, port: int, api_url: str, aws_url: str | None = None) -> ThreadingHTTPServer:
    # "local": the pages show the local mailbox in their menu (make run only).
    handler = functools.partial(WebHandler, site_config={"apiUrl": api_url, "local": aws_url is not None},
                                pages=render_site(local=aws_url is not None), aws_url=aws_url)
    return WebServer((host, port), handler)
