"""`make run`'s stack started on free ports, and what tests do with it over HTTP: read the local
mailbox, solve the anti-robot proof, wait for the workers. Shared by tests/e2e and tests/browser."""
import base64
import contextlib
import functools
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from chalicelib.local.processes import free_ports
from tests import patience

PROJECT_DIR = Path(__file__).resolve().parents[1]
READY = "Permis en ligne est prêt."


def start_stack(ports, local_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERMIS_", "QUEUE_", "TABLE_"))}
    env["PERMIS_LOCAL_DIR"] = str(local_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.stack", "--aws-port", str(ports["aws"]),
         "--api-port", str(ports["api"]), "--web-port", str(ports["web"]), "--ephoto-port", str(ports["ephoto"])],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_ready(process, timeout=90):
    deadline, output = time.monotonic() + patience.seconds(timeout), []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if line.startswith("Ctrl-C"):  # the banner's last line
            assert any(READY in seen for seen in output)
            return "".join(output)
    process.kill()
    raise AssertionError("the stack did not start:\n" + "".join(output) + (process.stdout.read() or ""))


def running_stack(local_dir):
    """Starts the stack; returns its description (process, ports, urls, banner, local_dir)."""
    ports = dict(zip(("aws", "api", "web", "ephoto"), free_ports(4)))
    process = start_stack(ports, local_dir)
    banner = wait_ready(process)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return {"process": process, "ports": ports, "urls": urls, "banner": banner, "local_dir": local_dir}


def stop_stack(stack):
    process = stack["process"]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=patience.seconds(30))


def altcha(api):
    from altcha import solve_challenge_v1

    challenge = requests.get(api + "/antirobot/challenge", timeout=5).json()
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"])
    return base64.b64encode(json.dumps({**{k: challenge[k] for k in ("algorithm", "challenge", "salt", "signature")},
                                        "number": solution.number}).encode()).decode()


def mail_to(stack, address, timeout=60, matching=None):
    """The newest email to `address` in the local mailbox (the page newcomers read), optionally the
    newest whose subject contains `matching`. Generous timeout: on a fresh CI machine the pump's
    first worker runs also compile and import."""
    deadline = time.monotonic() + patience.seconds(timeout)
    while time.monotonic() < deadline:
        messages = requests.get(stack["urls"]["web"] + "/boite-mail.json", timeout=5).json()["messages"]
        mine = [m for m in messages if address in m["to"] and (matching is None or matching in (m["subject"] or ""))]
        if mine:
            return mine[0]
        time.sleep(0.2)
    pump_log = stack["local_dir"] / "logs" / "pump.log"
    tail = pump_log.read_text()[-3000:] if pump_log.exists() else "(no pump log)"
    raise AssertionError(f"no email to {address} in the local mailbox (it has {[m['to'] for m in messages]}); "
                         f"the pump's log ends with:\n{tail}")


def link_token(message):
    return re.search(r"#jeton=([A-Za-z0-9_-]{43})", html.unescape(message["html"])).group(1)


def email_links(message):
    """The addresses of the links in an email, unescaped."""
    return re.findall(r'href="([^"]+)"', html.unescape(message["html"]))


def wait_for(check, what, timeout=60):
    """Polls `check` until it answers something true; `timeout`: the seconds an idle machine needs
    at most (tests.patience scales it to the load)."""
    deadline = time.monotonic() + patience.seconds(timeout)
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


# --- Requests filed over HTTP, as the demo school (what a test prepares without clicking) ----------

DEMO_PASSWORD = "demo-permis-en-ligne-2026"
DEMO_DOMAIN = "demo.permis-en-ligne.example.fr"
ADDRESS = {"number": "12", "street_type": "RUE", "street_name": "de la République", "postal_code": "69002",
           "commune": "69382"}  # Lyon 2e: the demo DDT's département


def demo_login(role):
    return f"{role}@{DEMO_DOMAIN}"


def api_session(stack, email, password=DEMO_PASSWORD):
    """Signs in over HTTP; returns the bearer headers."""
    answer = requests.post(stack["urls"]["api"] + "/sessions", timeout=30,
                           json={"email": email, "password": password}).json()
    return {"Authorization": f"Bearer {answer['tokens']['access_token']}"}


def api_caller(stack, headers):
    """call(method, path, payload=None, extra_headers=None) -> the JSON answer, asserting a 2xx."""
    api = stack["urls"]["api"]

    def call(method, path, payload=None, extra=None):
        response = requests.request(method, api + path, json=payload, headers={**headers, **(extra or {})},
                                    timeout=40)
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()

    return call


@functools.cache  # noise is slow to draw, and no check compares one upload with another
def scan_jpeg_bytes():
    """A real JPEG scan (noise, so that it is not too small once compressed)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((900, 700), 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def draft_registration(stack, call, email, birth_name="Dupont", first_names="Léa", birth_date="2004-05-06",
                       vision_correction=True, scan=None, ephoto=None, mandate="sans-mandat"):
    """A registration (without mandate unless `mandate` says) for the candidate `email`: the steps, a
    fresh ePhoto code (or `ephoto`) and every file uploaded to S3 with its presigned form. Returns its
    number (still a draft)."""
    import uuid

    number = call("POST", "/requests", {"procedure": "inscription", "mandate": mandate})["request_id"]
    for step, payload in (
            ("civil_status", {"birth_name": birth_name, "first_names": first_names, "sex": "F",
                              "birth_date": birth_date,
                              "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"}}),
            ("contact", {"address": ADDRESS, "email": email, "mobile_phone": "06 12 34 56 78"}),
            ("categories", {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                            "first_request": True}),
            ("declarations", {"exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
                              "vision_correction": vision_correction, "medical_condition": False,
                              "disability_pension": False})):
        call("PUT", f"/requests/{number}/steps/{step}", payload)
    call("PUT", f"/requests/{number}/ephoto", {"code": ephoto or "E2E0" + uuid.uuid4().hex[:18].upper()})
    upload_required_files(call, number, scan or scan_jpeg_bytes())
    return number


def upload_required_files(call, number, scan):
    """Every file the request still needs, posted to S3 with its presigned form (the checker follows)."""
    for needed in call("GET", f"/requests/{number}/summary")["required_documents"]:
        if needed["is_file"] and needed["state"] != "accepted":
            form = call("POST", f"/requests/{number}/documents/{needed['document']}/upload",
                        {"content_type": "image/jpeg", "size": len(scan)})
            sent = requests.post(form["url"], data=form["fields"], timeout=30,
                                 files={"file": ("scan.jpg", scan, "image/jpeg")})
            assert sent.status_code == 204, sent.text


def submit_request(stack, headers, number):
    """Submits the draft, again if the document checker changed its version in between (409);
    returns the submitted request."""
    import uuid

    api = stack["urls"]["api"]

    def attempt():
        seen = requests.get(f"{api}/requests/{number}", headers=headers, timeout=30).json()
        if seen["status"] != "brouillon":
            return seen
        answer = requests.post(f"{api}/requests/{number}/submission", json={"version": seen["version"]},
                               timeout=30, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code in (200, 201, 409), answer.text
        return answer.status_code != 409 and answer.json()

    return wait_for(attempt, f"request {number} to be submitted")


def school_files_registration(stack, email, **identity):
    """The demo school files and submits a registration for `email` ("Attente validation usager");
    returns its number."""
    headers = api_session(stack, demo_login("auto-ecole"))
    number = draft_registration(stack, api_caller(stack, headers), email, **identity)
    submitted = submit_request(stack, headers, number)
    assert submitted["status"] == "attente-validation-usager", submitted
    return number


@contextlib.contextmanager
def moto_server(log_dir: Path):
    """moto's server as `make run` starts it (chalicelib.local.processes: its OAuth and FranceConnect
    stand-ins included) on a free port: yields its URL, stops it after."""
    from chalicelib.local.processes import wait_http

    [port] = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    with open(log_dir / "moto.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "chalicelib.local.processes", "127.0.0.1", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"{url}/moto-api/", timeout=patience.seconds(120))
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
