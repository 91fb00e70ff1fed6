"""`permis-agent` (or `python -m chalicelib.cli.agent`): the agents' command line, for instructors
who work their queue from a terminal, and for administrators. It calls the same staff API routes as
the agents' console, signed in as the agent (password and double authentication); the session is
kept in a file only its owner can read.

  permis-agent connexion --email agent@ddt.gouv.fr
  permis-agent suivante                      the next request of my queue, held for me
  permis-agent voir 261112345678             the request, its documents and pre-checks
  permis-agent pieces 261112345678 [--ouvrir identite]
  permis-agent decider 261112345678 valider | complement --piece domicile --motif domicile-ancien
                                           | rejeter --motif doublon [--commentaire "..."]
                                           valider [--verifie neph]: each check "À vérifier" acknowledged
  permis-agent notes 261112345678 [--ajouter "texte"]   the agents' private notes
  permis-agent messages 261112345678 [--ecrire "texte"]  the thread with the school, candidate or mediator
  permis-agent liste [--onglet a-traiter|en-cours|complement|traites] [--procedure P] [--nom N]
                     [--attente JOURS] [--suite CURSEUR]   the service's worklist
  permis-agent chercher 261112345678         a request of the service by its number or a NEPH
  permis-agent prendre 261112345678          take a request of the list that nobody holds
  permis-agent prolonger / liberer 261112345678
  permis-agent file [--service DDT-69]       queue health (administrators: any queue of theirs)
  permis-agent motifs                        the reasons a complement or a rejection can give
  permis-agent consultations 261112345678    who read the request (administrators)
  permis-agent dlq liste|inspecter ID|rejouer --service DDT-69   failed messages, replayable (administrators)
  permis-agent examens 261192100012          examiners: a NEPH's registrations and results
  permis-agent resultat 261192100012 --epreuve pratique --categorie B --resultat favorable \
                 --centre "Lyon Gerland" [--date 2026-12-01] [--aac oui|non]   examiners: record a result
  permis-agent deconnexion

Every listing command (suivante, voir, pieces, notes, messages, liste, chercher, prendre, file, motifs, consultations, examens,
dlq) prints the API's answer as JSON with --json, for scripts. Times are Paris time. Help and errors are in French.

Exit codes: 0 done, 1 refused by the service (the message says why), 2 usage or connection error.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from chalicelib.cli import FrenchParser

DEFAULT_API = "http://127.0.0.1:8000"
PARIS = ZoneInfo("Europe/Paris")


def paris(moment: str | None, with_day: bool = True) -> str:
    """An API time (ISO 8601, UTC) as agents read it: Paris time."""
    if not moment:
        return ""
    local = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(PARIS)
    return f"{local:%Y-%m-%d %H:%M}" if with_day else f"{local:%H:%M}"


class Refused(Exception):
    """The API said no: its French message, its stable code."""

    def __init__(self, status: int, answer: dict[str, Any]):
        super().__init__(answer.get("message", f"HTTP {status}"))
        self.status = status
        self.answer = answer


class Api:
    def __init__(self, base_url: str, session_file: Path,
                 opener: Callable[..., Any] = urllib.request.urlopen):
        self.base_url = base_url.rstrip("/")
        self.session_file = session_file
        self._open = opener

    def token(self) -> str | None:
        try:
            return json.loads(self.session_file.read_text())["access_token"]
        except (OSError, ValueError, KeyError):
            return None

    def save_session(self, tokens: dict[str, Any]) -> None:
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.session_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"access_token": tokens["access_token"], "refresh_token": tokens.get("refresh_token")}, file)

    def forget_session(self) -> None:
        self.session_file.unlink(missing_ok=True)

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None, auth: bool = True) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            token = self.token()
            if token is None:
                raise Refused(401, {"code": "not_signed_in",
                                    "message": "Vous n'êtes pas connecté : permis-agent connexion --email ..."})
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(payload).encode() if payload is not None else (b"{}" if method == "POST" else None)
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with self._open(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read() or b"{}")
            except ValueError:
                answer = {}
            if error.code == 401 and auth:
                answer.setdefault("message", "Session expirée : reconnectez-vous (permis-agent connexion).")
            raise Refused(error.code, answer) from None


# --- output ----------------------------------------------------------------------------------

def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain-text table, columns as wide as their longest cell."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


CHECK_MARKS = {True: "OK", False: "À VOIR", None: "info"}


def acknowledge_hint(seen: dict[str, Any]) -> list[str]:
    """How to validate when a check says "À VOIR": each must be named as verified."""
    codes = [c["code"] for c in seen["pre_checks"] if c["ok"] is False]
    if not codes:
        return []
    return [f"Pour valider après vérification : permis-agent decider {seen['request_id']} valider "
            + " ".join(f"--verifie {code}" for code in codes)]


def show_request(seen: dict[str, Any]) -> str:
    civil = seen["steps"].get("civil_status") or {}
    contact = seen["steps"].get("contact") or {}
    categories = seen["steps"].get("categories") or {}
    claim = seen.get("claim")
    lines = [f"Demande {seen['request_id']} — {seen['procedure_label']}",
             f"Statut : {seen['status_label']} (version {seen['version']})"
             + (" — revenue après un complément" if seen.get("returning") else ""),
             f"Candidat : {seen['candidate_name']}, né(e) le {civil.get('birth_date', '?')}"
             + (f" — NEPH {seen['neph']}" if seen.get("neph") else ""),
             f"Auto-école : {seen.get('school_name') or '—'}",
             f"Catégories : {', '.join(categories.get('categories', [])) or '—'}",
             f"Courriel : {contact.get('email', '—')}",
             "Prise en charge : " + ((("vous" if claim["mine"] else claim["agent_name"])
                                       + f", jusqu'à {paris(claim['lease_until'], with_day=False)}") if claim
                                      else "personne"),
             "", "Contrôles automatiques",
             table([(CHECK_MARKS[c["ok"]], c["label"], c["detail"]) for c in seen["pre_checks"]],
                   ("", "Contrôle", "Détail")) if seen["pre_checks"] else "(aucun)",
             *acknowledge_hint(seen),
             "", "Pièces",
             table([(d["document"], d["label"], d["state_label"], d.get("refusal") or "") for d in seen["documents"]],
                   ("Pièce", "Libellé", "État", "Motif de refus"))]
    if seen.get("history"):
        lines += ["", "Historique", table([(paris(h["at"]), h["to_label"], h["actor_label"],
                                            h.get("reason") or "") for h in seen["history"]],
                                          ("Date", "Statut", "Par", "Motif"))]
    return "\n".join(lines)


def show_health(health: dict[str, Any]) -> str:
    lines = [f"File {health['authority']}",
             table([("Nouvelles demandes en attente", health["waiting"]),
                    ("Revenues d'un complément, en attente", health["returning_waiting"]),
                    ("Prises en charge en ce moment", health["claimed"]),
                    ("Plus ancienne en attente", f"{health['oldest_request_id']} depuis {health['oldest_age_hours']} h"
                     if health["oldest_request_id"] else "—"),
                    ("Délai médian dépôt → décision (7 jours)",
                     f"{health['median_delay_hours']} h" if health["median_delay_hours"] is not None else "—")],
                   ("Indicateur", "Valeur"))]
    if health["decisions_by_day"]:
        lines += ["", table([(d["day"], d["decisions"]) for d in health["decisions_by_day"]], ("Jour", "Décisions"))]
    return "\n".join(lines)


# --- commands --------------------------------------------------------------------------------

def login(api: Api, args, ask_password: Callable[[str], str], ask: Callable[[str], str]) -> str:
    """Password, then the code of the authentication app. An agent whose double authentication is
    not set up yet sets it up here (the key to add to the app, then a code), then signs in again."""
    password = ask_password("Mot de passe : ")

    def sign_in() -> dict[str, Any]:
        answer = api.call("POST", "/sessions", {"email": args.email, "password": password}, auth=False)
        if answer["status"] == "mfa_required":
            code = ask("Code de double authentification (6 chiffres) : ").strip()
            answer = api.call("POST", "/sessions/mfa", {"email": args.email, "session": answer["session"],
                                                        "code": code}, auth=False)
        api.save_session(answer["tokens"])
        return api.call("GET", "/me")

    if not sign_in()["mfa_required"]:
        return "Vous êtes connecté."
    setup = api.call("POST", "/me/mfa/setup")
    print(f"{setup['message']}\n  clé : {setup['secret']}\n  lien : {setup['otpauth_uri']}")
    api.call("POST", "/me/mfa/verify", {"code": ask("Code affiché par l'application (6 chiffres) : ").strip()})
    sign_in()  # the session opened before the double authentication does not carry the agent's role
    return "Double authentification configurée. Vous êtes connecté."


def decide(api: Api, args) -> str:
    current = api.call("GET", f"/staff/requests/{args.request_id}")
    decided = api.call("POST", f"/staff/requests/{args.request_id}/decision", {
        "version": current["version"], "decision": args.decision, "reasons": args.motif or [],
        "comment": args.commentaire, "documents": args.piece or [], "acknowledged": args.verifie or []})
    return decided["message"]


TABS = ("a-traiter", "en-cours", "complement", "traites")


def show_worklist(answer: dict) -> str:
    rows = [(row["request_id"], row["procedure_label"][:40], row["candidate_name"], paris(row.get("since")),
             (f"{row['decision']} par {row['decided_by']}" if row.get("decision") else
              f"{row['claim']['agent_name']} jusqu'à {paris(row['claim']['lease_until'], with_day=False)}"
              if row.get("claim") else ""), "à répondre" if row.get("message_waiting") else "")
            for row in answer["rows"]]
    if not rows:
        return "Aucune demande ici pour ces critères."
    text = table(rows, ("Numéro", "Démarche", "Candidat", "Depuis", "Prise en charge / décision", "Message"))
    if answer.get("next_cursor"):
        text += f"\n\nLa suite : permis-agent liste --suite {answer['next_cursor']}"
    return text


def show_notes(answer: dict) -> str:
    if not answer["notes"]:
        return "Aucune note sur cette demande."
    return "\n\n".join(f"{paris(note['at'])} – {note['agent_name']}\n{note['text']}" for note in answer["notes"])


def show_messages(answer: dict) -> str:
    def files(message: dict) -> str:  # opened in the console: a file is shown, not printed
        return "".join(f"\n  pièce jointe : {a['file_name']} ({a['state_label']})" for a in message.get("attachments", []))

    lines = [f"{paris(m['at'])} – {'vous' if m['mine'] else m['author_label']}\n{m['text']}{files(m)}"
             for m in answer["messages"]]
    text = "\n\n".join(lines) if lines else "Aucun message sur cette demande."
    return text if answer["open"] else f"{text}\n\n{answer['closed_reason']}"


def record_result(api: Api, args) -> str:
    from datetime import date

    examiner = args.inspecteur
    if not examiner:
        me = api.call("GET", "/me")
        examiner = f"{me['first_names']} {me['birth_name']}"
    payload = {"neph": args.neph, "day": args.date or date.today().isoformat(), "centre": args.centre,
               "examiner": examiner,
               "test": args.epreuve, "category": args.categorie, "outcome": args.resultat}
    if args.aac:
        payload["still_follows_aac"] = args.aac == "oui"
    return api.call("POST", "/staff/exams/results", payload)["message"]


def show_exams(answer: dict[str, Any]) -> str:
    blocks = []
    for registration in answer["registrations"]:
        rows = [(r["day"], r["test_label"], r["category"], r["outcome_label"], r["centre"])
                for r in registration["results"]]
        cepcs = "".join(f"\nCEPC {c['category']} valable jusqu'au {c['valid_until']} ; demande de titre "
                        f"{c['production_request_id']}" for c in registration["cepcs"])
        blocks.append(f"Inscription {registration['request_id']} – {registration['candidate_name']}\n"
                      + (table(rows, ("Date", "Épreuve", "Catégorie", "Résultat", "Centre")) if rows
                         else "Aucun résultat.") + cepcs)
    return "\n\n".join(blocks)


def show(args, answer: Any, as_text: Callable[[Any], str]) -> str:
    """A listing as text, or as the API's JSON with --json."""
    return json.dumps(answer, ensure_ascii=False, indent=2) if getattr(args, "json", False) else as_text(answer)


def show_documents(seen: dict[str, Any]) -> str:
    return table([(d["document"], d["label"], d["state_label"], "oui" if d["can_open"] else "non")
                  for d in seen["documents"]], ("Pièce", "Libellé", "État", "Ouvrable"))


def show_reasons(reasons: dict[str, Any]) -> str:
    return "\n\n".join(f"{title}\n" + table([(r["code"], r["label"]) for r in reasons[key]], ("Code", "Motif"))
                       for key, title in (("complement", "Complément"), ("rejection", "Rejet")))


def show_reads(answer: dict[str, Any]) -> str:
    reads = answer["reads"]
    return table([(paris(r["at"]), r["agent_name"], r["role"], r["what"]) for r in reads],
                 ("Date", "Agent", "Rôle", "Consultation")) if reads else "Aucune consultation."


def show_dead_letters(letters: list[dict[str, Any]]) -> str:
    return table([(d["message_id"], d["request_id"] or "(illisible)", d["request_status"] or "—",
                   d["receive_count"], paris(d["sent_at"])) for d in letters],
                 ("Message", "Demande", "Statut actuel", "Réceptions", "Envoyé le")) \
        if letters else "Aucun message en échec."


def run(args, api: Api, ask_password: Callable[[str], str] = getpass.getpass,
        ask: Callable[[str], str] = input) -> str:
    command = args.command
    if command == "connexion":
        return login(api, args, ask_password, ask)
    if command == "deconnexion":
        try:
            api.call("DELETE", "/sessions")
        finally:
            api.forget_session()
        return "Vous êtes déconnecté, sur tous vos appareils."
    if command == "suivante":
        return show(args, api.call("POST", "/staff/claims"),
                    lambda answer: show_request(answer["request"]) if answer["request"] else answer["message"])
    if command == "voir":
        return show(args, api.call("GET", f"/staff/requests/{args.request_id}"), show_request)
    if command == "pieces":
        if args.ouvrir:
            link = api.call("GET", f"/staff/requests/{args.request_id}/documents/{args.ouvrir}")
            return show(args, link, lambda answer: f"Lien valable une minute :\n{answer['url']}")
        return show(args, api.call("GET", f"/staff/requests/{args.request_id}"), show_documents)
    if command == "decider":
        return decide(api, args)
    if command == "liste":
        query = {"onglet": args.onglet, "procedure": args.procedure, "nom": args.nom, "attente": args.attente,
                 "cursor": args.suite}
        path = "/staff/worklist?" + urllib.parse.urlencode({k: v for k, v in query.items() if v})
        return show(args, api.call("GET", path), show_worklist)
    if command == "chercher":
        return show(args, api.call("GET", f"/staff/search/{args.numero}"), show_worklist)
    if command == "prendre":
        return show(args, api.call("POST", f"/staff/requests/{args.request_id}/claim"), show_request)
    if command == "notes":
        if args.ajouter is not None:
            note = api.call("POST", f"/staff/requests/{args.request_id}/notes", {"text": args.ajouter})
            return show(args, note, lambda answer: f"Note enregistrée le {paris(answer['at'])} : seuls les agents "
                                                   "de votre service la voient.")
        return show(args, api.call("GET", f"/staff/requests/{args.request_id}/notes"), show_notes)
    if command == "messages":
        if args.ecrire is not None:
            sent = api.call("POST", f"/staff/requests/{args.request_id}/messages", {"text": args.ecrire})
            return show(args, sent, lambda answer: f"Message envoyé le {paris(answer['at'])} : l'auto-école, le "
                                                   "candidat ou le médiateur en reçoivent un courriel.")
        return show(args, api.call("GET", f"/staff/requests/{args.request_id}/messages"), show_messages)
    if command == "prolonger":
        claim = api.call("POST", f"/staff/requests/{args.request_id}/extend")
        return f"Prise en charge prolongée jusqu'à {paris(claim['lease_until'], with_day=False)}."
    if command == "liberer":
        return api.call("POST", f"/staff/requests/{args.request_id}/release")["message"]
    if command == "file":
        path = f"/staff/queues/{args.service}" if args.service else "/staff/queue"
        return show(args, api.call("GET", path), show_health)
    if command == "motifs":
        return show(args, api.call("GET", "/staff/reasons"), show_reasons)
    if command == "consultations":
        return show(args, api.call("GET", f"/staff/requests/{args.request_id}/reads"), show_reads)
    if command == "examens":
        return show(args, api.call("GET", f"/staff/exams/{args.neph}"), show_exams)
    if command == "resultat":
        return record_result(api, args)
    if command == "dlq":
        if args.action == "rejouer":
            return api.call("POST", f"/staff/queues/{args.service}/dead-letters/redrive")["message"]
        letters = api.call("GET", f"/staff/queues/{args.service}/dead-letters")["dead_letters"]
        if args.action == "inspecter":
            letters = [d for d in letters if d["message_id"] == args.message_id]
            if not letters:
                raise Refused(404, {"code": "dead_letter_not_found",
                                    "message": f"Aucun message en échec {args.message_id} dans cette file."})
        return show(args, letters, show_dead_letters)
    raise AssertionError(command)


LISTINGS = ("suivante", "voir", "pieces", "notes", "messages", "liste", "chercher", "prendre", "file", "motifs", "consultations",
            "examens", "dlq")


def parser() -> argparse.ArgumentParser:
    main = FrenchParser(prog="permis-agent", description="Instruction des demandes, en ligne de commande.")
    main.add_argument("--api", default=os.environ.get("PERMIS_API_URL", DEFAULT_API),
                      help=f"adresse de l'API (défaut : PERMIS_API_URL ou {DEFAULT_API})")
    commands = main.add_subparsers(dest="command", required=True, metavar="commande", title="commandes")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        added = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        if name in LISTINGS:
            added.add_argument("--json", action="store_true", help="la réponse de l'API en JSON, pour un script")
        return added

    def request_number(added: argparse.ArgumentParser) -> None:
        added.add_argument("request_id", metavar="NUMERO", help="numéro de la demande (12 chiffres)")

    command("connexion", "se connecter").add_argument("--email", required=True, help="adresse de votre compte")
    command("deconnexion", "se déconnecter partout")
    command("suivante", "prendre en charge la demande suivante de ma file")
    for name, text in (("voir", "examiner une demande"), ("prolonger", "prolonger ma prise en charge"),
                       ("liberer", "remettre la demande dans la file"),
                       ("consultations", "qui a consulté la demande (administrateurs)")):
        request_number(command(name, text))
    pieces = command("pieces", "les pièces d'une demande, ou le lien d'une pièce")
    request_number(pieces)
    pieces.add_argument("--ouvrir", metavar="PIECE", help="type de pièce à ouvrir (lien d'une minute)")
    decision = command("decider", "valider, demander un complément ou rejeter")
    request_number(decision)
    decision.add_argument("decision", metavar="DECISION", choices=("valider", "complement", "rejeter"),
                          help="valider, complement ou rejeter")
    decision.add_argument("--motif", action="append", help="code d'un motif (permis-agent motifs) ; répétable")
    decision.add_argument("--piece", action="append", help="complément : pièce à remplacer ; répétable")
    decision.add_argument("--commentaire", help="texte libre (exigé avec le motif autre)")
    decision.add_argument("--verifie", action="append", metavar="CONTROLE",
                          help="valider : code d'un contrôle « À vérifier » que vous avez vérifié (neph, identity, "
                               "age...) ; répétable, exigé pour chacun")
    listing = command("liste", "les demandes de mon service, par onglet")
    listing.add_argument("--onglet", choices=TABS, default="a-traiter", help="à traiter (défaut), en cours, "
                         "complément demandé ou traités (30 jours)")
    listing.add_argument("--procedure", help="une démarche (inscription, titre-examen...)")
    listing.add_argument("--nom", help="le nom du candidat")
    listing.add_argument("--attente", metavar="JOURS", help="en attente depuis plus de JOURS jours")
    listing.add_argument("--suite", metavar="CURSEUR", help="la page suivante (donnée en bas de la précédente)")
    command("chercher", "une demande de mon service par son numéro ou un NEPH").add_argument(
        "numero", metavar="NUMERO", help="numéro de demande ou NEPH (12 chiffres)")
    request_number(command("prendre", "prendre en charge une demande de la liste, si personne ne la tient"))
    notes = command("notes", "les notes internes d'une demande, ou en ajouter une")
    request_number(notes)
    notes.add_argument("--ajouter", metavar="TEXTE", help="le texte de la note à ajouter (2000 caractères au plus)")
    messages = command("messages", "les messages échangés avec le demandeur, ou lui écrire")
    request_number(messages)
    messages.add_argument("--ecrire", metavar="TEXTE", help="le message à envoyer (2000 caractères au plus)")
    command("file", "l'état d'une file").add_argument("--service", help="administrateurs : DDT-<département> ou CERT")
    command("motifs", "les motifs de complément et de rejet")
    command("examens", "inscriptions et résultats d'un NEPH (inspecteurs)").add_argument(
        "neph", metavar="NEPH", help="le NEPH (12 chiffres)")
    result = command("resultat", "enregistrer le résultat d'une épreuve (inspecteurs)")
    result.add_argument("neph", metavar="NEPH", help="le NEPH (12 chiffres)")
    result.add_argument("--epreuve", required=True, choices=("theorie", "pratique"), help="l'épreuve passée")
    result.add_argument("--categorie", required=True, help="catégorie du permis (B, A2, C...)")
    result.add_argument("--resultat", required=True, help="le résultat de l'épreuve",
                        choices=("favorable", "defavorable", "absent-excuse", "absent-non-excuse"))
    result.add_argument("--centre", required=True, help="centre d'examen")
    result.add_argument("--date", help="date de l'épreuve, AAAA-MM-JJ (défaut : aujourd'hui)")
    result.add_argument("--inspecteur", help="nom de l'inspecteur (défaut : le vôtre)")
    result.add_argument("--aac", choices=("oui", "non"), help="épreuve pratique en AAC : suit toujours l'AAC ?")
    dlq = command("dlq", "messages en échec, que le traitement automatique n'a pas pu traiter ; rejouer les "
                         "remet dans la file (administrateurs)")
    dlq.add_argument("action", metavar="ACTION", choices=("liste", "inspecter", "rejouer"),
                     help="liste, inspecter ou rejouer")
    dlq.add_argument("message_id", metavar="MESSAGE", nargs="?", help="inspecter : l'identifiant du message")
    dlq.add_argument("--service", required=True, help="DDT-<département> ou CERT")
    return main


def session_file() -> Path:
    configured = os.environ.get("PERMIS_AGENT_SESSION")
    return Path(configured) if configured else Path.home() / ".config" / "permis-agent" / "session.json"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "dlq" and args.action == "inspecter" and not args.message_id:
        print("Indiquez le message à inspecter : permis-agent dlq inspecter MESSAGE --service DDT-69",
              file=sys.stderr)
        return 2
    try:
        print(run(args, Api(args.api, session_file())))
    except Refused as refused:
        details = "".join(f"\n  - {d.get('field', '')} : {d['message']}" for d in refused.answer.get("details", []))
        print(f"Refusé : {refused}{details}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"L'API ne répond pas à {args.api} ({error.reason}) : make run est-il lancé ?", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
