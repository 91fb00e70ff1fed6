"""`python -m chalicelib.local.dlq list|redrive QUEUE`: the dead-letter queues of `make run`.

Against the running `make run` stack, it reads the endpoint and queue URLs that the stack wrote in
.local/stack-env.json; elsewhere (a deployed stage), from the environment."""
from __future__ import annotations

import json
import os
import sys

from chalicelib.adapters import dead_letters
from chalicelib.adapters.aws import client
from chalicelib.cli import FrenchParser
from chalicelib.resources import CATALOGUE


def main(argv: list[str] | None = None) -> int:
    queues = [q.logical for q in CATALOGUE.queues if q.has_dead_letter_queue]
    parser = FrenchParser(description="Files de messages en échec (DLQ)")
    parser.add_argument("action", choices=("list", "redrive"))
    parser.add_argument("queue", choices=queues)
    args = parser.parse_args(argv)
    from chalicelib.local.stack import STACK_ENV_FILE

    if STACK_ENV_FILE.exists():
        os.environ.update(json.loads(STACK_ENV_FILE.read_text()))
    elif "AWS_ENDPOINT_URL" not in os.environ and not os.environ.get(CATALOGUE.queues[0].env_url):
        print("La pile locale ne tourne pas : lancez d'abord make run.", file=sys.stderr)
        return 2
    sqs = client("sqs")
    if args.action == "list":
        letters = dead_letters.peek(sqs, args.queue)
        print(f"{len(letters)} message(s) en échec dans la file {args.queue}")
        for letter in letters:
            print(f"  {letter.message_id}  reçu {letter.receive_count} fois  {letter.event_type or '-'}  {letter.body_size} octets")
    else:
        moved = dead_letters.redrive(sqs, args.queue)
        print(f"{moved} message(s) remis dans la file {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
