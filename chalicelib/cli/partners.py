"""`python -m chalicelib.cli.partners`: plays the licence's partners (Imprimerie nationale, La
Poste) against the API of `make run`, each event signed with the partner's own key (read from the
local stack's secrets, as a partner holds its copy).

  python -m chalicelib.cli.partners expedier 261212345678 [--suivi 1A00112233445]
  python -m chalicelib.cli.partners aviser 261212345678 [--bureau "Antony Principal"]
  python -m chalicelib.cli.partners remettre 261212345678
  python -m chalicelib.cli.partners retourner 261212345678
  python -m chalicelib.cli.partners parcours 261212345678 [--par-le-bureau]   the happy path
Options: --api URL (http://127.0.0.1:8000), --date ISO 8601 (when the event happened: to play
events out of order), --evenement ID (an event id of your own: to try a replay).

Exit codes: 0 done, 1 refused by the service (the message says why), 2 usage or connection error.
"""
from __future__ import annotations

import argparse

from chalicelib.cli import FrenchParser
import json
import secrets
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any, Callable

from chalicelib.domain.licence import (PARTNER_HEADER, PARTNER_LABELS, SIGNATURE_HEADER, TIMESTAMP_HEADER, Partner,
                                       PartnerEventKind, secret_logical, sign)

DEFAULT_API = "http://127.0.0.1:8000"
PATH = "/partenaires/evenements"
SENDER = {PartnerEventKind.SHIPPED: Partner.PRINTER, PartnerEventKind.NOTICE: Partner.POST,
          PartnerEventKind.DELIVERED: Partner.POST, PartnerEventKind.RETURNED: Partner.POST}
COMMANDS = {"expedier": PartnerEventKind.SHIPPED, "aviser": PartnerEventKind.NOTICE,
            "remettre": PartnerEventKind.DELIVERED, "retourner": PartnerEventKind.RETURNED}
OUTCOMES = {"applied": "appliqué", "late": "enregistré (plus ancien que le dernier appliqué : le statut ne recule pas)",
            "already": "enregistré (le titre est déjà à ce statut)"}


class Refused(Exception):
    def __init__(self, status: int, answer: dict[str, Any]):
        super().__init__(answer.get("message", f"HTTP {status}"))
        self.status = status
        self.answer = answer


class Partners:
    """Sends signed events to the API; `key_for` gives a partner's key, `clock` the time signed."""

    def __init__(self, base_url: str, key_for: Callable[[Partner], bytes],
                 opener: Callable[..., Any] = urllib.request.urlopen,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.base_url = base_url.rstrip("/")
        self.key_for = key_for
        self._open = opener
        self.clock = clock

    def pause(self, seconds: float) -> None:
        import time

        time.sleep(max(0.0, seconds))

    def send(self, kind: PartnerEventKind, reference: str, *, occurred_at: datetime | None = None,
             event_id: str | None = None, tracking_number: str | None = None,
             post_office: str | None = None) -> dict[str, Any]:
        partner = SENDER[kind]
        payload: dict[str, Any] = {"event_id": event_id or f"sim-{secrets.token_hex(8)}", "reference": reference,
                                   "event": kind.value, "occurred_at": (occurred_at or self.clock()).isoformat()}
        if kind is PartnerEventKind.SHIPPED:
            payload["tracking_number"] = tracking_number or f"1A{secrets.randbelow(10**11):011d}"
        if kind is PartnerEventKind.NOTICE:
            payload["post_office"] = post_office or "Bureau de poste principal"
        raw = json.dumps(payload).encode()
        stamp = str(int(self.clock().timestamp()))
        headers = {"Content-Type": "application/json", "Accept": "application/json", PARTNER_HEADER: partner.value,
                   TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(self.key_for(partner), stamp, "POST", PATH, raw)}
        request = urllib.request.Request(self.base_url + PATH, data=raw, headers=headers, method="POST")
        try:
            with self._open(request, timeout=30) as response:
                return {**json.loads(response.read() or b"{}"), "sent": payload}
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read() or b"{}")
            except ValueError:
                answer = {}
            raise Refused(error.code, answer) from None


def describe(kind: PartnerEventKind, answer: dict[str, Any]) -> str:
    sent = answer["sent"]
    detail = {PartnerEventKind.SHIPPED: f" (suivi {sent.get('tracking_number')})",
              PartnerEventKind.NOTICE: f" ({sent.get('post_office')}, 15 jours pour le retirer)"}.get(kind, "")
    return (f"{PARTNER_LABELS[SENDER[kind]]} : « {kind.value} »{detail} pour le titre {sent['reference']} — "
            f"{OUTCOMES.get(answer['outcome'], answer['outcome'])} ; statut « {answer['status_label']} ».")


def parser() -> argparse.ArgumentParser:
    main = FrenchParser(prog="python -m chalicelib.cli.partners",
                                   description="Simulateur des partenaires du titre (Imprimerie nationale, La Poste)")
    main.add_argument("--api", default=DEFAULT_API, help=f"adresse de l'API (par défaut {DEFAULT_API})")
    commands = main.add_subparsers(dest="command", required=True)
    for name, help_text in (("expedier", "l'Imprimerie nationale expédie le titre"),
                            ("aviser", "La Poste avise : titre disponible en bureau de poste"),
                            ("remettre", "La Poste remet le titre à son titulaire"),
                            ("retourner", "La Poste retourne le titre non retiré"),
                            ("parcours", "le parcours heureux : expédié puis remis")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("reference", help="numéro de la demande de fabrication (12 chiffres)")
        if name != "parcours":
            command.add_argument("--date", help="quand l'événement a eu lieu (ISO 8601 ; par défaut maintenant)")
            command.add_argument("--evenement", help="identifiant de l'événement (par défaut, un nouveau)")
        if name == "expedier":
            command.add_argument("--suivi", help="numéro de suivi de la lettre recommandée")
        if name == "aviser":
            command.add_argument("--bureau", help="bureau de poste où retirer le titre")
        if name == "parcours":
            command.add_argument("--par-le-bureau", action="store_true",
                                 help="avisé au bureau de poste avant d'être remis")
            command.add_argument("--pause", type=float, default=3.0,
                                 help="secondes entre deux événements, le temps que chacun soit annoncé "
                                      "(défaut : 3)")
    return main


def run(args: argparse.Namespace, partners: Partners, out=print) -> int:
    try:
        if args.command == "parcours":
            kinds = [PartnerEventKind.SHIPPED, *([PartnerEventKind.NOTICE] if args.par_le_bureau else []),
                     PartnerEventKind.DELIVERED]
            for number, kind in enumerate(kinds):
                if number:
                    # Days separate these steps in real life: each one's emails and SMS go out
                    # before the next (a notice about a step the licence has already left is not sent).
                    partners.pause(args.pause)
                out(describe(kind, partners.send(kind, args.reference)))
            return 0
        kind = COMMANDS[args.command]
        occurred = None
        if args.date:
            try:
                occurred = datetime.fromisoformat(args.date)
            except ValueError:
                out("--date : indiquez une date ISO 8601, par exemple 2026-12-01T10:00:00+01:00.")
                return 2
            if occurred.tzinfo is None:
                occurred = occurred.replace(tzinfo=timezone.utc)
        out(describe(kind, partners.send(kind, args.reference, occurred_at=occurred, event_id=args.evenement,
                                         tracking_number=getattr(args, "suivi", None),
                                         post_office=getattr(args, "bureau", None))))
        return 0
    except Refused as refused:
        current = (refused.answer.get("current") or {}).get("status_label")
        out(f"Refusé ({refused.status} {refused.answer.get('code', '')}) : {refused}"
            + (f" Statut actuel : « {current} »." if current else ""))
        return 1
    except urllib.error.URLError as error:
        out(f"L'API ne répond pas ({error.reason}) : lancez make run, ou indiquez --api.")
        return 2


def local_key(partner: Partner) -> bytes:
    """The partner's key, read from the stack's secrets (the partner's own copy, in real life)."""
    from chalicelib.adapters import secrets as stored

    return stored.partner_key(secret_logical(partner))


def main(argv: list[str] | None = None) -> int:
    from chalicelib.cli import connect

    args = parser().parse_args(argv)
    if not connect():
        return 2
    return run(args, Partners(args.api, local_key))


if __name__ == "__main__":
    sys.exit(main())
