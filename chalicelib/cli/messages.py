"""`python -m chalicelib.cli.messages [--to ADDRESS] [--show ID]`: the emails and SMS the
application sent on `make run`, read from the local AWS (its sent-messages endpoint, in the shape of
moto's /moto-api/data.json).

Newest first, emails (C1 is the first one sent) then SMS (S1); `--to` keeps those to one address
or phone number (an email in any case, a phone as typed: 06 12 34 56 78 or +33612345678); `--show`
prints one in full, its links readable (the activation, the unsubscribe link...). moto records no
sending time: the order is the order of sending within each kind. Local only: a deployed stage's
SES and SNS keep no readable copy."""
from __future__ import annotations

import html
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.cli import FrenchParser


@dataclass(frozen=True)
class SentMessage:
    id: str  # C<n> for the n-th email sent, S<n> for the n-th SMS
    kind: str  # "courriel" or "SMS"
    to: tuple[str, ...]
    subject: str
    text: str


def _text_of(page: str) -> str:
    """An email's HTML as readable text: paragraphs on their own lines, links' addresses kept."""
    page = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", "", page)
    page = re.sub(r'(?is)<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", page)
    page = re.sub(r"(?i)<br\s*/?>", "\n", page)
    page = re.sub(r"(?i)</p>", "\n\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


def sent_messages(state: dict[str, Any]) -> list[SentMessage]:
    """moto's state (the shape of /moto-api/data.json) -> the messages, newest first per kind."""
    emails = state.get("ses", {}).get("Message", [])
    texts = state.get("sns", {}).get("SMS", [])
    found = [SentMessage(f"C{n}", "courriel", tuple((m.get("destinations") or {}).get("ToAddresses", [])),
                         m.get("subject") or "", _text_of(m.get("body") or ""))
             for n, m in reversed(list(enumerate(emails, start=1)))]
    found += [SentMessage(f"S{n}", "SMS", (m.get("phone_number") or "",), "", m.get("message") or "")
              for n, m in reversed(list(enumerate(texts, start=1)))]
    return found


def _matches(message: SentMessage, recipient: str) -> bool:
    from chalicelib.domain.accounts import normalize_mobile_phone

    wanted = {recipient.strip().lower()}
    try:
        wanted.add(normalize_mobile_phone(recipient))
    except ValueError:
        pass
    return any(to.lower() in wanted for to in message.to)


def fetch_state(aws_url: str) -> dict[str, Any]:
    from chalicelib.local.processes import read_sent_messages

    return read_sent_messages(aws_url)


def _local_aws_url() -> str | None:
    from chalicelib.local.stack import STACK_ENV_FILE

    if STACK_ENV_FILE.exists():
        return json.loads(STACK_ENV_FILE.read_text()).get("AWS_ENDPOINT_URL")
    return os.environ.get("AWS_ENDPOINT_URL")


def main(argv: list[str] | None = None, state: Callable[[], dict[str, Any]] | None = None) -> int:
    parser = FrenchParser(description="Courriels et SMS envoyés par l'application sur make run (moto)")
    parser.add_argument("--to", help="seulement ceux envoyés à cette adresse ou à ce numéro")
    parser.add_argument("--show", metavar="ID", help="afficher ce message en entier (C3, S1...)")
    parser.add_argument("--aws-url", help="adresse de l'AWS local (par défaut : celle de make run)")
    args = parser.parse_args(argv)
    if state is None:
        aws_url = args.aws_url or _local_aws_url()
        if not aws_url:
            print("La pile locale ne tourne pas : lancez d'abord make run (ou indiquez --aws-url).", file=sys.stderr)
            return 2
        state = lambda: fetch_state(aws_url)  # noqa: E731
    messages = sent_messages(state())
    if args.to:
        messages = [m for m in messages if _matches(m, args.to)]
    if args.show:
        chosen = next((m for m in messages if m.id.lower() == args.show.strip().lower()), None)
        if chosen is None:
            print(f"Aucun message {args.show} : la commande sans --show liste les messages et leur numéro.",
                  file=sys.stderr)
            return 1
        print(f"{chosen.id} · {chosen.kind} à {', '.join(chosen.to)}")
        if chosen.subject:
            print(f"Objet : {chosen.subject}")
        print()
        print(chosen.text)
        return 0
    emails = sum(1 for m in messages if m.kind == "courriel")
    print(f"{emails} courriel(s) et {len(messages) - emails} SMS, du plus récent au plus ancien"
          + (f", pour {args.to}" if args.to else "") + " :")
    for message in messages:
        summary = message.subject or message.text
        print(f"  {message.id:<5} {message.kind:<8} {', '.join(message.to):<40} "
              f"{summary[:70] + ('…' if len(summary) > 70 else '')}")
    if messages:
        print("Pour en lire un : python -m chalicelib.cli.messages --show <numéro>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
