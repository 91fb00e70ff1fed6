"""`make run`'s stack started on free ports, and what tests do with it over HTTP: read the local
mailbox, solve the anti-robot proof, wait for the workers. Shared by tests/e2e and tests/browser."""
import base64
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

PROJECT_DIR = Path(__file__).resolve().parents[1]
READY = "Permis en ligne est prêt."


def start_stack(ports, local_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERMIS_", "QUEUE_", "TABLE_"))}
    env["PERMIS_LOCAL_DIR"] = str(local_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.stack", "--aws-port", str(ports["aws"]),
         "--api-port", str(ports["api"]), "--web-port", str(ports["web"])],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_ready(process, timeout=90):
    deadline, output = time.monotonic() + timeout, []
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
    ports = dict(zip(("aws", "api", "web"), free_ports(3)))
    process = start_stack(ports, local_dir)
    banner = wait_ready(process)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return {"process": process, "ports": ports, "urls": urls, "banner": banner, "local_dir": local_dir}


def stop_stack(stack):
    process = stack["process"]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


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
    deadline = time.monotonic() + timeout
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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
