"""What the journeys' tests prepare over HTTP, where the step is not the person's on a page: a
candidate's earlier steps, the agents' decisions before the journey starts, the examiner's results
(the examiner's tablet is not built yet: the command and the API are how results are recorded) and
the partners' events (played by the simulator, as the README says)."""
import os
import random
import subprocess
import sys
import time
import uuid

import requests

from tests import patience
from tests.browser.console_steps import agent_headers
from tests.stack_support import (
    PROJECT_DIR, api_caller, api_session, demo_login, link_token, mail_to, scan_jpeg_bytes, school_files_registration,
    submit_request, upload_required_files, wait_for)

CANDIDATE_PASSWORD = "le code de la route 2026"


def unique_email(name):
    return f"{name}.{uuid.uuid4().hex[:8]}@exemple.fr"


def random_birth_date():
    """A person of their own: a registration gives the NEPH of an identity (name and birth date), and a
    person who passed an exam once cannot pass it again."""
    return f"{random.randint(1995, 2006)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"


def activated_candidate(stack, email):
    """Activates the account a school's request opened for `email` (the emailed link); the candidate's
    bearer headers."""
    mail = mail_to(stack, email)
    answer = requests.post(stack["urls"]["api"] + "/accounts/activation", timeout=30,
                           json={"token": link_token(mail), "password": CANDIDATE_PASSWORD})
    assert answer.status_code == 200, answer.text
    return api_session(stack, email, password=CANDIDATE_PASSWORD)


def candidate_validates(stack, headers, number):
    api = stack["urls"]["api"]

    def validate():
        seen = requests.get(f"{api}/requests/{number}", headers=headers, timeout=30).json()
        if seen["status"] != "attente-validation-usager":
            return True
        answer = requests.post(f"{api}/requests/{number}/validation", json={"version": seen["version"]},
                               headers=headers, timeout=30)
        assert answer.status_code in (200, 409), answer.text
        return answer.status_code == 200

    wait_for(validate, f"the candidate's validation of {number}")


def agent_decides(stack, role, number, decision="valider", timeout=120):
    """The demo agent of `role` takes requests from its queue until `number` comes (the others it had
    to take on the way are released), then decides it. Returns the decision's answer."""
    api = stack["urls"]["api"]
    headers = agent_headers(stack, role)
    school = api_caller(stack, api_session(stack, demo_login("auto-ecole")))
    wait_for(lambda: school("GET", f"/requests/{number}")["status"] == "en-instruction",
             f"request {number} to reach instruction", timeout=timeout)
    held = []
    try:
        def claimed():
            answer = requests.post(api + "/staff/claims", headers=headers, timeout=30).json()
            shown = (answer.get("request") or {}).get("request_id")
            if shown and shown != number:
                held.append(shown)
            return shown == number and answer["request"]

        request = wait_for(claimed, f"request {number} out of the {role} queue", timeout=timeout)
        # The setup files the same person at both widths: the second validation names the "NEPH
        # existant" point the request shows, as the agent does after looking.
        looked_at = [check["code"] for check in request["pre_checks"] if check["ok"] is False]
        answer = requests.post(f"{api}/staff/requests/{number}/decision", headers=headers, timeout=30,
                               json={"version": request["version"], "decision": decision,
                                     **({"acknowledged": looked_at} if decision == "valider" else {})})
        assert answer.status_code == 200, answer.text
        return answer.json()
    finally:
        for other in held:
            requests.post(f"{api}/staff/requests/{other}/release", headers=headers, timeout=30)


def registration_with_neph(stack, email, birth_name="Martin", first_names="Chloé", birth_date="2004-05-06"):
    """A registration of the demo school, validated by its candidate and the DDT: (number, NEPH,
    the candidate's headers)."""
    number = school_files_registration(stack, email, birth_name=birth_name, first_names=first_names,
                                       birth_date=birth_date)
    candidate = activated_candidate(stack, email)
    candidate_validates(stack, candidate, number)
    agent_decides(stack, "instructeur-ddt", number)
    school = api_caller(stack, api_session(stack, demo_login("auto-ecole")))
    return number, school("GET", f"/requests/{number}")["neph"], candidate


def exams_passed(stack, neph, category="B"):
    """The demo examiner records a favourable theory (a month ago) and practical (today): the CEPC is
    issued and the production request opened. Returns the production request's number."""
    api = stack["urls"]["api"]
    headers = agent_headers(stack, "inspecteur")
    month_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    answer = None
    for test, day in (("theorie", month_ago), ("pratique", today)):
        answer = requests.post(api + "/staff/exams/results", headers=headers, timeout=30, json={
            "neph": neph, "day": day, "centre": "Lyon Gerland", "examiner": "M. Laurent", "test": test,
            "category": category, "outcome": "favorable"})
        assert answer.status_code == 201, answer.text
    return answer.json()["cepc"]["production_request_id"]


def production_filed(stack, production, candidate):
    """The school completes and sends the production request over HTTP, the candidate validates it, the
    CERT validates it: "Titre en production"."""
    headers = api_session(stack, demo_login("auto-ecole"))
    school = api_caller(stack, headers)
    scan = scan_jpeg_bytes()
    school("PUT", f"/requests/{production}/ephoto", {"code": "E2E2" + uuid.uuid4().hex[:18].upper()})
    upload_required_files(school, production, scan)
    submit_request(stack, headers, production)
    candidate_validates(stack, candidate, production)
    agent_decides(stack, "instructeur-cert", production)
    assert school("GET", f"/requests/{production}")["status"] == "titre-en-production"


def operator_command(stack, module, *arguments):
    """An operator's command (`python -m chalicelib.cli.<module> ...`) run against the test's stack, as
    on `make run`; its output."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERMIS_", "QUEUE_", "TABLE_"))},
           "PERMIS_LOCAL_DIR": str(stack["local_dir"])}
    played = subprocess.run([sys.executable, "-m", f"chalicelib.cli.{module}", *arguments], cwd=PROJECT_DIR,
                            env=env, capture_output=True, text=True, timeout=patience.seconds(120))
    assert played.returncode == 0, played.stdout + played.stderr
    return played.stdout


def partner(stack, step, number):
    """The partners' simulator (expedier, aviser, remettre, retourner), signed with the local keys."""
    return operator_command(stack, "partners", "--api", stack["urls"]["api"], step, number)


def new_agent(stack, role, departement="69"):
    """An agent's account opened by the operator's command and activated by its emailed link (MFA not
    set up yet): its email; the password is CANDIDATE_PASSWORD."""
    email = unique_email(role)
    operator_command(stack, "agents", "create", "--role", role, "--email", email, "--nom", "Essai",
                     "--prenom", "Agnès", "--departement", departement)
    activated_candidate(stack, email)  # the same emailed link and password choice as a candidate's
    return email
