"""`make run`'s stack, started on free ports, used over HTTP like a person's browser would."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from chalicelib.local.processes import free_ports
from tests.stack_support import (
    PROJECT_DIR, altcha, api_caller, api_session, demo_login, draft_registration, link_token, mail_to,
    running_stack, scan_jpeg_bytes, start_stack, stop_stack, submit_request, upload_required_files, wait_for)

def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = running_stack(tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)


def test_the_banner_gives_the_urls_and_demo_logins(stack):
    banner = stack["banner"]
    assert stack["urls"]["web"] in banner and stack["urls"]["api"] + "/health" in banner
    assert stack["urls"]["ephoto"] + "/ephoto/<code>/photo" in banner  # the ePhoto operator's stand-in
    assert "candidat@demo.permis-en-ligne.example.fr" in banner and "mot de passe" in banner


def test_health_over_http(stack):
    response = requests.get(stack["urls"]["api"] + "/health", timeout=5)
    assert response.status_code == 200 and response.json()["stage"] == "local"


def test_the_web_page_is_served_and_knows_the_api(stack):
    page = requests.get(stack["urls"]["web"] + "/", timeout=5)
    assert page.status_code == 200 and "<html lang=\"fr\"" in page.text and "État du service" in page.text
    assert requests.get(stack["urls"]["web"] + "/config.json", timeout=5).json() == {
        "apiUrl": stack["urls"]["api"], "local": True}


def test_an_unknown_route_is_a_404_in_our_shape_with_cors(stack):
    response = requests.get(stack["urls"]["api"] + "/nulle-part", timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"
    assert response.headers["Access-Control-Allow-Origin"] == stack["urls"]["web"]


def test_a_browser_preflight_from_the_web_origin_is_allowed(stack):
    response = requests.options(stack["urls"]["api"] + "/demo/messages", timeout=5, headers={
        "Origin": stack["urls"]["web"], "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == stack["urls"]["web"]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_a_message_posted_over_http_is_processed_by_the_pump_process(stack):
    api = stack["urls"]["api"]
    created = requests.post(api + "/demo/messages", json={"text": "Bonjour de bout en bout"}, timeout=5)
    assert created.status_code == 201

    def processed():
        message = requests.get(f"{api}/demo/messages/{created.json()['id']}", timeout=5).json()
        return message["status"] == "processed" and message

    message = wait_for(processed, "the message processed by the pump", timeout=20)
    assert message["status_label"] == "Traité"


def test_demo_accounts_exist_in_the_local_user_pool(stack):
    env = json.loads((stack["local_dir"] / "stack-env.json").read_text())
    cognito = boto3.client("cognito-idp", endpoint_url=stack["urls"]["aws"], region_name="eu-west-3",
                           aws_access_key_id="local", aws_secret_access_key="local")
    users = cognito.list_users(UserPoolId=env["USER_POOL_USERS_ID"])["Users"]
    assert len(users) >= 6
    for login in ("auto-ecole", "candidat", "instructeur-ddt"):
        signed_in = requests.post(stack["urls"]["api"] + "/sessions", timeout=10, json={
            "email": f"{login}@demo.permis-en-ligne.example.fr", "password": "demo-permis-en-ligne-2026"})
        assert signed_in.status_code == 200 and signed_in.json()["status"] == "signed_in"


def test_a_newcomer_opens_a_school_activates_from_the_mailbox_signs_in_and_invites_a_colleague(stack):
    from chalicelib.local.demo_data import FREE_AGREMENT

    api = stack["urls"]["api"]
    address = {"number": "8", "street_type": "AV", "street_name": "Jean Jaurès", "postal_code": "69007",
               "commune": "69387"}
    created = requests.post(api + "/accounts/schools", timeout=10, json={
        "birth_name": "Nouveau", "first_name": "Arrivant", "email": "gerant@mon-auto-ecole.example.fr",
        "company_name": "Mon auto-école", "agrement_number": FREE_AGREMENT, "address": address,
        "altcha": altcha(api), "terms_accepted": True})
    assert created.status_code == 201, created.text
    activation = mail_to(stack, "gerant@mon-auto-ecole.example.fr")
    assert stack["urls"]["web"] + "/activation.html#jeton=" in activation["html"]
    assert requests.post(api + "/accounts/activation", timeout=10, json={
        "token": link_token(activation), "password": "ma phrase de passe secrète"}).status_code == 200
    signed_in = requests.post(api + "/sessions", timeout=10, json={
        "email": "gerant@mon-auto-ecole.example.fr", "password": "ma phrase de passe secrète"})
    access = signed_in.json()["tokens"]["access_token"]  # verified against moto's JWKS over HTTP
    headers = {"Authorization": f"Bearer {access}"}
    invited = requests.post(api + "/school/members", headers=headers, timeout=10, json={
        "birth_name": "Collègue", "first_name": "Léa", "email": "lea@mon-auto-ecole.example.fr"})
    assert invited.status_code == 201, invited.text
    assert "vous invite" in mail_to(stack, "lea@mon-auto-ecole.example.fr")["html"]
    members = requests.get(api + "/school/members", headers=headers, timeout=10).json()["members"]
    assert [m["status"] for m in members] == ["active", "pending"]
    assert requests.get(api + "/school/members", timeout=10,
                        headers={"Authorization": "Bearer " + access[:-4] + "AAAA"}).status_code == 401

    candidate = requests.post(api + "/accounts/candidates", timeout=10, json={
        "birth_name": "Petit", "first_names": "Emma", "sex": "F", "birth_date": "2009-03-02",
        "birth_place": {"country": "FR", "commune": "Lyon", "departement": "69"},
        "email": "emma.petit@example.fr", "mobile_phone": "0712345678", "address": address,
        "altcha": altcha(api), "terms_accepted": True})
    assert candidate.status_code == 201, candidate.text


def test_the_demo_school_files_a_request_the_candidate_validates_it_and_instruction_begins_by_itself(stack):
    """Issue 5's "done when", as a browser would do it: real files posted to S3 with the upload
    forms, the one email read in the local mailbox, the validation, then nobody pushes: the
    checker and the pump move the request to "En cours d'instruction"."""
    api = stack["urls"]["api"]
    headers = api_session(stack, demo_login("auto-ecole"))
    call = api_caller(stack, headers)
    email = "lea.dupont@exemple.fr"
    scan = scan_jpeg_bytes()
    number = draft_registration(stack, call, email, scan=scan)  # the steps, the ePhoto code, the files to S3
    submitted = submit_request(stack, headers, number)
    assert submitted["status_label"] == "Attente validation usager"

    mail = mail_to(stack, email)  # ONE email: the account's activation leads to the request
    assert f"demande={number}" in mail["html"]
    assert requests.post(api + "/accounts/activation", json={"token": link_token(mail), "password": "le code de la route 2026"},
                         timeout=10).status_code == 200
    candidate = requests.post(api + "/sessions", timeout=10,
                              json={"email": email, "password": "le code de la route 2026"}).json()
    as_candidate = {"Authorization": f"Bearer {candidate['tokens']['access_token']}"}
    version = requests.get(f"{api}/requests/{number}", headers=as_candidate, timeout=10).json()["version"]
    validated = requests.post(f"{api}/requests/{number}/validation", json={"version": version},
                              headers=as_candidate, timeout=10)
    assert validated.status_code == 200, validated.text
    final = wait_for(lambda: (r := call("GET", f"/requests/{number}"))["status"] == "en-instruction" and r,
                      "the request to reach instruction")
    assert final["status_label"] == "En cours d'instruction"
    receipt = wait_for(lambda: requests.get(f"{api}/requests/{number}/receipt", headers=headers,
                                             timeout=10).json().get("url"), "the receipt")
    assert requests.get(receipt, timeout=10).content.startswith(b"%PDF")
    instruct_with_the_agents_command(stack, call, headers, number, scan)


def instruct_with_the_agents_command(stack, school_call, school_headers, number, scan):
    """Issue 6's "done when": the demo agent of the Rhône's DDT, with `permis-agent`, claims the
    request, sees its documents and pre-checks, asks for a complement; the school replaces the
    document; the agent validates; the NEPH appears; the school downloads the attestation; its QR
    code verifies on the public route; an edited copy does not."""
    import tempfile

    from chalicelib.cli import agent as cli
    from tests.unit.test_attestation import _scan

    api = stack["urls"]["api"]
    session = Path(tempfile.mkdtemp()) / "session.json"

    def agent(*argv):
        return cli.run(cli.parser().parse_args(["--api", api, *argv]), cli.Api(api, session),
                       ask_password=lambda _: "demo-permis-en-ligne-2026", ask=lambda _: "123456")

    assert "Vous êtes connecté" in agent("connexion", "--email", "instructeur-ddt@demo.permis-en-ligne.example.fr")
    shown = wait_for(lambda: (text := agent("suivante")) and number in text and text, "the request in the queue")
    assert "Contrôles automatiques" in shown and "Justificatif de domicile" in shown
    assert agent("decider", number, "complement", "--piece", "domicile", "--motif", "domicile-ancien").endswith(
        "Complément demandé.")
    request = school_call("GET", f"/requests/{number}")
    assert request["status_label"] == "Complément demandé" and request["complement_documents"][0]["document"] == \
        "domicile"
    # The school answers once it is told (a notice about a state already left is not sent: a busy
    # stack's workers may come to it after a quick answer).
    wait_for(lambda: any("un complément est demandé" in line for line in _subjects_to(stack, "lea.dupont@exemple.fr")),
             "the complement's email", timeout=120)
    form = school_call("POST", f"/requests/{number}/documents/domicile/upload",
                       {"content_type": "image/jpeg", "size": len(scan)})
    assert requests.post(form["url"], data=form["fields"], timeout=10,
                         files={"file": ("domicile.jpg", scan, "image/jpeg")}).status_code == 204
    wait_for(lambda: school_call("GET", f"/requests/{number}/summary")["required_documents"] and all(
        d["state"] == "accepted" for d in school_call("GET", f"/requests/{number}/summary")["required_documents"]),
        "the replaced document to be checked")
    school_call("POST", f"/requests/{number}/complement", {"version": school_call("GET", f"/requests/{number}")["version"]})
    back = wait_for(lambda: (text := agent("suivante")) and number in text and text, "the request back first")
    assert "revenue après un complément" in back
    validated = agent("decider", number, "valider")
    neph = school_call("GET", f"/requests/{number}")["neph"]
    assert neph and neph in validated and neph.startswith(time.strftime("%y%m", time.gmtime()) + "69")
    link = wait_for(lambda: requests.get(f"{api}/requests/{number}/attestations/inscription", timeout=10,
                                          headers=school_headers).json().get("url"), "the attestation")
    pdf = requests.get(link, timeout=10).content
    [payload] = _scan(pdf, Path(tempfile.mkdtemp()))
    verified = requests.post(api + "/verification", json={"payload": payload}, timeout=10).json()
    assert verified["authentic"] is True and verified["neph"] == neph and verified["birth_name"] == "DUPONT"
    edited = requests.post(api + "/verification", json={"payload": payload.replace("DUPONT", "DUPOND")},
                           timeout=10).json()
    assert edited["authentic"] is False and edited["code"] == "bad_signature"
    follow_to_the_licence(stack, school_call, school_headers, number, neph, scan)


def follow_to_the_licence(stack, school_call, school_headers, number, neph, scan):
    """Issue 7's "done when": the demo examiner records the theory and the practical with
    `permis-agent`; the CEPC is downloaded and verifies; the school completes the production request
    it opened and sends it; the candidate validates it; the demo CERT agent validates it."""
    import tempfile
    import uuid

    from chalicelib.cli import agent as cli
    from tests.unit.test_attestation import _scan

    api = stack["urls"]["api"]
    examiner_session = Path(tempfile.mkdtemp()) / "session.json"

    def examiner(*argv):
        return cli.run(cli.parser().parse_args(["--api", api, *argv]), cli.Api(api, examiner_session),
                       ask_password=lambda _: "demo-permis-en-ligne-2026", ask=lambda _: "123456")

    examiner("connexion", "--email", "inspecteur@demo.permis-en-ligne.example.fr")
    month_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
    assert "Épreuve théorique B" in examiner("resultat", neph, "--epreuve", "theorie", "--categorie", "B",
                                             "--resultat", "favorable", "--centre", "Lyon Gerland", "--date", month_ago)
    passed = examiner("resultat", neph, "--epreuve", "pratique", "--categorie", "B", "--resultat", "favorable",
                      "--centre", "Lyon Gerland")
    assert "Le CEPC est délivré" in passed
    link = wait_for(lambda: requests.get(f"{api}/requests/{number}/cepc/B", timeout=10,
                                          headers=school_headers).json().get("url"), "the CEPC")
    [payload] = _scan(requests.get(link, timeout=10).content, Path(tempfile.mkdtemp()))
    verified = requests.post(api + "/verification", json={"payload": payload}, timeout=10).json()
    assert verified["authentic"] and verified["document"].startswith("Certificat d'examen") and verified["valid_until"]

    production = school_call("GET", f"/requests/{number}/exams")["cepcs"][0]["production_request_id"]
    assert school_call("GET", f"/requests/{production}")["status_label"] == "Brouillon"
    school_call("PUT", f"/requests/{production}/ephoto", {"code": "E2E1" + uuid.uuid4().hex[:18].upper()})
    upload_required_files(school_call, production, scan)
    wait_for(lambda: all(d["state"] == "accepted" for d in school_call(
        "GET", f"/requests/{production}/summary")["required_documents"]), "the production's documents to be checked")
    version = school_call("GET", f"/requests/{production}")["version"]
    submitted = school_call("POST", f"/requests/{production}/submission", {"version": version},
                            {"Idempotency-Key": str(uuid.uuid4())})
    assert submitted["status_label"] == "Attente validation usager"
    candidate = requests.post(api + "/sessions", timeout=10, json={"email": "lea.dupont@exemple.fr",
                                                                   "password": "le code de la route 2026"}).json()
    as_candidate = {"Authorization": f"Bearer {candidate['tokens']['access_token']}"}
    version = requests.get(f"{api}/requests/{production}", headers=as_candidate, timeout=10).json()["version"]
    assert requests.post(f"{api}/requests/{production}/validation", json={"version": version},
                         headers=as_candidate, timeout=10).status_code == 200
    wait_for(lambda: school_call("GET", f"/requests/{production}")["status"] == "en-instruction",
              "the production request to reach instruction")
    cert_session = Path(tempfile.mkdtemp()) / "session.json"

    def cert(*argv):
        return cli.run(cli.parser().parse_args(["--api", api, *argv]), cli.Api(api, cert_session),
                       ask_password=lambda _: "demo-permis-en-ligne-2026", ask=lambda _: "123456")

    cert("connexion", "--email", "instructeur-cert@demo.permis-en-ligne.example.fr")
    wait_for(lambda: (text := cert("suivante")) and production in text and text, "the production request at the CERT",
              timeout=120)
    cert("decider", production, "valider")
    assert school_call("GET", f"/requests/{production}")["status_label"] == "Titre en production"

    # A relative subscribes a mobile to the production request's alerts (double opt-in by SMS).
    phone = "06 98 76 54 32"
    assert requests.post(api + "/alerts/subscriptions", timeout=10, json={
        "request_id": production, "channel": "sms", "address": phone, "altcha": altcha(api)}).status_code == 202
    code = re.search(r"\b(\d{6})\b", mail_to(stack, "+33698765432")["html"]).group(1)
    assert requests.post(api + "/alerts/confirmation", timeout=10, json={
        "request_id": production, "channel": "sms", "address": phone, "code": code}).status_code == 200

    # The partners, played by the simulator with their own keys, one step at a time (days apart in
    # real life): each step's email reaches the candidate before the next.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PERMIS_", "QUEUE_", "TABLE_"))},
           "PERMIS_LOCAL_DIR": str(stack["local_dir"])}

    def messages(*argv):
        shown = subprocess.run([sys.executable, "-m", "chalicelib.cli.messages", *argv], cwd=PROJECT_DIR, env=env,
                               capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        return shown.stdout

    for step, label, subject in (("expedier", "Titre expédié", "est expédié"),
                                 ("aviser", "Disponible en bureau de poste", "vous attend au bureau de poste"),
                                 ("remettre", "Titre remis", "est remis")):
        played = subprocess.run([sys.executable, "-m", "chalicelib.cli.partners", "--api", api, step, production],
                                cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert played.returncode == 0 and label in played.stdout, played.stdout + played.stderr
        wait_for(lambda: any(subject in line for line in _subjects_to(stack, "lea.dupont@exemple.fr")),
                  f"the candidate's email: {subject}")
    assert school_call("GET", f"/requests/{production}")["status_label"] == "Titre remis"
    labels = [row["to_label"] for row in school_call("GET", f"/requests/{production}/history")["history"]]
    assert labels[-5:] == ["Validée", "Titre en production", "Titre expédié", "Disponible en bureau de poste",
                           "Titre remis"]
    tracked = requests.post(api + "/suivi", timeout=10, json={"request_id": production,
                                                              "altcha": altcha(api)}).json()
    assert tracked["status_label"] == "Titre remis" and "Dupont" not in json.dumps(tracked)

    # Every email and SMS sent, as a newcomer reads them with the messages command.
    to_candidate = messages("--to", "lea.dupont@exemple.fr")
    subjects = _subjects_to(stack, "lea.dupont@exemple.fr")
    missing = [subject for subject in ("un complément est demandé", "est validée, votre numéro NEPH est attribué",
                                       "certificat d'examen (CEPC) est délivré", "est en fabrication", "est expédié",
                                       "vous attend au bureau de poste", "est remis")
               if not any(subject in line for line in subjects)]
    assert not missing, (missing, subjects)
    assert to_candidate.count("courriel") >= 9, to_candidate
    to_phone = wait_for(lambda: (text := messages("--to", phone)) and "remis" in text and text, "the subscriber's SMS")
    newest = re.search(r"\b(S\d+)\b", to_phone).group(1)
    assert "desabonnement.html#jeton=" in messages("--show", newest)


def _subjects_to(stack, address):
    messages = requests.get(stack["urls"]["web"] + "/boite-mail.json", timeout=5).json()["messages"]
    return [m["subject"] for m in messages if address in m["to"]]


def test_a_port_already_taken_gives_a_clear_message_not_a_traceback(stack, tmp_path):
    aws_port, web_port, ephoto_port = free_ports(3)
    ports = {"aws": aws_port, "api": stack["ports"]["api"], "web": web_port, "ephoto": ephoto_port}
    second = start_stack(ports, tmp_path)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 2
    assert f"Le port {ports['api']} (API) est déjà utilisé" in output and "API_PORT=" in output
    assert "Traceback" not in output
    assert not listening(ports["aws"])  # it started nothing, or stopped what it started


def test_ctrl_c_stops_everything_it_started(stack):
    process = stack["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "Arrêté." in process.stdout.read()
    for port in stack["ports"].values():
        assert not listening(port)
    assert not (stack["local_dir"] / "stack-env.json").exists()
