"""The local pipeline (`make run`'s stack), end to end over HTTP: how many requests a school's
filers get through from the first click to the instruction queue, and how long a school's list
takes once it holds 10,000 requests.

Starts the stack as the end-to-end tests do (`tests/stack_support.running_stack`: free ports, a
temporary PERMIS_LOCAL_DIR), then measures:
- **throughput**: `--clients` threads (4) each sign in as the demo school and file `--per-client`
  registrations with a paper mandate (create, the four steps, the ePhoto code, every scan posted
  to S3 with its presigned form, the submission): the document checker accepts the scans, the
  request moves to "En cours d'instruction" and the relay puts its message on the Rhône DDT's
  instruction queue. Requests/s = requests filed / the time from the first filing to the moment
  the last one's message is on the queue (read on SQS itself: what "Prendre la demande suivante"
  receives) — the whole pipeline, API, workers and moto.
- **list latency**: 10,000 requests of another school written straight to moto (copies of an
  item the app wrote in the throughput phase: the same shape, keys and indexes); one more request
  filed through the whole pipeline (once it is on its queue, the pump has read the 10,000 seeded
  stream records too); then `GET /requests` (first page, 20 rows) as that school (the demo
  school's filer, moved to it for the measure), median of `--list-rounds` after one warm-up.
- **references**, measured in the same run on the same connections: `GET /health` through the
  local API (what any API call costs before the route's own work) and one DynamoDB GetItem on
  moto over HTTP (what one AWS call costs): the figures read as multiples of them too.

Run alone: `.venv/bin/python bench/pipeline.py` (JSON on stdout, progress on stderr)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

THROUGHPUT_TARGET = 2.0  # requests/s, filed -> on the instruction queue, 4 clients
LIST_TARGET_MS = 100.0  # GET /requests first page at 10k items
LIST_ITEMS = 10_000
AUTHORITY = "DDT-69"  # the demo address (Lyon 2e) is the Rhône's


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_ms(call, rounds: int) -> tuple[float, list[float]]:
    call()  # warm-up: connections, caches
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), samples


def stack_environment(local_dir: Path) -> dict[str, str]:
    return json.loads((local_dir / "stack-env.json").read_text())


def aws_clients(env: dict[str, str]):
    import boto3

    session = boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                                    aws_session_token=env["AWS_SESSION_TOKEN"], region_name=env["AWS_REGION"])
    endpoint = env["AWS_ENDPOINT_URL"]
    return session.client("dynamodb", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)


def cpu_seconds(root_pid: int) -> dict[str, float]:
    """CPU time (user + system) of the stack's processes so far, by role (the launcher serves the web
    pages and the ePhoto stand-in): where the pipeline's work is done, whatever else loads the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    roles = {"chalicelib.local.processes": "moto", "chalicelib.local.pump": "pump",
             "chalicelib.local.api_server": "api", "chalicelib.local.stack": "launcher"}
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(entry.name) != root_pid and int(stat[1]) != root_pid:  # the launcher and its children
            continue
        role = next((name for module, name in roles.items() if module.encode() in command), None)
        if role:
            found[role] = found.get(role, 0.0) + (int(stat[11]) + int(stat[12])) / tick
    return found


def queue_depth(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def wait_for_quiet(sqs, env: dict[str, str], timeout: float) -> float:
    """Seconds until every consumed queue is empty twice in a row: the stack's start-up work (the
    demo statistics' history, counted by the statistics worker) is not the pipeline's."""
    from chalicelib.resources import CATALOGUE

    urls = [env[q.env_url] for q in CATALOGUE.queues if q.has_dead_letter_queue and q.env_url in env]
    started = time.monotonic()
    empty_rounds = 0
    while empty_rounds < 2 and time.monotonic() - started < timeout:
        empty_rounds = empty_rounds + 1 if all(queue_depth(sqs, url) == 0 for url in urls) else 0
        time.sleep(0.5)
    return time.monotonic() - started


def file_one(stack, headers, call, scan) -> str:
    """One registration with a paper mandate, filed and submitted (the same calls as the pages)."""
    from tests.stack_support import draft_registration, submit_request

    number = draft_registration(stack, call, f"bench-{uuid.uuid4().hex[:12]}@example.fr", birth_name="Martin",
                                vision_correction=False, scan=scan, mandate="mandat-papier",
                                ephoto="BENCH" + uuid.uuid4().hex[:17].upper())
    submit_request(stack, headers, number)
    return number


def throughput(stack, sqs, clients: int, per_client: int, timeout: float) -> dict:
    from chalicelib.adapters.instruction_queues import queue_url
    from tests.stack_support import api_caller, api_session, demo_login, scan_jpeg_bytes

    url = queue_url(AUTHORITY)
    before = queue_depth(sqs, url)
    scan = scan_jpeg_bytes()
    sessions = [api_session(stack, demo_login("auto-ecole")) for _ in range(clients)]
    numbers: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients)

    def client(headers) -> None:
        call = api_caller(stack, headers)
        barrier.wait(timeout=60)
        for _ in range(per_client):
            try:
                numbers.append(file_one(stack, headers, call, scan))
            except Exception as error:  # noqa: BLE001 — reported
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")

    threads = [threading.Thread(target=client, args=(headers,)) for headers in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    filed_s = time.perf_counter() - started
    expected = before + len(numbers)
    deadline = time.monotonic() + timeout
    depth = queue_depth(sqs, url)
    while depth < expected and time.monotonic() < deadline:
        time.sleep(0.2)  # moto counts the queue's messages for each read: not too often
        depth = queue_depth(sqs, url)
    total_s = time.perf_counter() - started
    queued = depth - before
    return {"clients": clients, "requests": clients * per_client, "filed": len(numbers), "queued": queued,
            "errors": errors[:5], "filing_s": filed_s, "total_s": total_s,
            "requests_per_s": queued / total_s if total_s else 0.0,
            "complete": queued == clients * per_client and not errors, "numbers": numbers}


def seed_school(dynamodb, table: str, template: dict, count: int) -> str:
    """`count` requests of a new school, copies of `template` (an item the app wrote): new number,
    creation time and list key; no worklist key (they are not in any agent's queue)."""
    from datetime import UTC, datetime, timedelta

    school = "BENCH" + uuid.uuid4().hex[:8].upper()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    template = {k: v for k, v in template.items() if k not in ("gsi3pk", "gsi3sk", "gsi2pk", "gsi2sk")}
    batch = []
    for i in range(count):
        number = f"26{90000000 + i:08d}"[:12].ljust(12, "0")
        created = (base + timedelta(minutes=i)).isoformat()
        item = {**template, "pk": {"S": f"REQUEST#{number}"}, "sk": {"S": "REQUEST"},
                "request_id": {"S": number}, "school_id": {"S": school}, "created_at": {"S": created},
                "updated_at": {"S": created}, "gsi1pk": {"S": f"SCHOOL#{school}#REQUESTS"},
                "gsi1sk": {"S": f"{created}#{number}"}}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25 or i == count - 1:
            pending = {table: batch}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
            batch = []
    return school


def run(args) -> dict:
    import requests

    from tests.stack_support import api_session, demo_login, running_stack, stop_stack

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        local_dir = Path(tmp)
        log("starting the local stack…")
        stack = running_stack(local_dir)
        try:
            env = stack_environment(local_dir)
            os.environ.update(env)
            dynamodb, sqs = aws_clients(env)
            api = stack["urls"]["api"]
            table = env["TABLE_MAIN_NAME"]

            health_session = requests.Session()
            reference_health, _ = median_ms(lambda: health_session.get(api + "/health", timeout=10).raise_for_status(),
                                            args.reference_rounds)
            probe = {"pk": {"S": "BENCH#PROBE"}, "sk": {"S": "PROBE"}}
            reference_get_item, _ = median_ms(lambda: dynamodb.get_item(TableName=table, Key=probe),
                                              args.reference_rounds)
            log(f"references: GET /health {reference_health:.1f} ms, GetItem {reference_get_item:.1f} ms")

            quiet_s = wait_for_quiet(sqs, env, args.timeout)
            log(f"the stack's start-up work done after {quiet_s:.1f} s more")
            log(f"throughput: {args.clients} clients x {args.per_client} registrations…")
            cpu_before = cpu_seconds(stack["process"].pid)
            flow = throughput(stack, sqs, args.clients, args.per_client, args.timeout)
            cpu_after = cpu_seconds(stack["process"].pid)
            flow["cpu_seconds_per_request"] = {role: (cpu_after[role] - cpu_before.get(role, 0.0)) / max(1, flow["queued"])
                                               for role in cpu_after}
            log(f"  CPU s per request: {flow['cpu_seconds_per_request']}")
            log(f"  {flow['queued']}/{flow['requests']} on the queue in {flow['total_s']:.1f} s: "
                f"{flow['requests_per_s']:.2f} requests/s")
            if not flow["numbers"]:
                raise RuntimeError(f"no request was filed: {flow['errors']}")

            template = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"REQUEST#{flow['numbers'][0]}"},
                                                               "sk": {"S": "REQUEST"}})["Item"]
            log(f"seeding {args.items} requests of one school…")
            started = time.perf_counter()
            school = seed_school(dynamodb, table, template, args.items)
            seed_s = time.perf_counter() - started
            # The relay reads the stream in order: once a request filed now is on its queue, the
            # pump has gone through the 10,000 seeded records too (the list is timed on a quiet stack).
            log("  one more request through the pipeline (the pump catches up)…")
            started = time.perf_counter()
            after_seed = throughput(stack, sqs, 1, 1, args.timeout)
            catch_up_s = time.perf_counter() - started
            # The seeded school's filer: the demo school's account, moved to the seeded school for
            # the measure (its profile's school id), then moved back.
            headers = api_session(stack, demo_login("auto-ecole"))
            list_session = requests.Session()
            profile_key = None
            me = list_session.get(api + "/me", headers=headers, timeout=30).json()
            account_id = me.get("account_id") or me.get("id")
            profile_key = {"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "PROFILE"}}
            profile = dynamodb.get_item(TableName=table, Key=profile_key)["Item"]
            own_school = profile["school_id"]
            dynamodb.update_item(TableName=table, Key=profile_key, UpdateExpression="SET school_id = :s",
                                 ExpressionAttributeValues={":s": {"S": school}})
            try:
                def first_page():
                    answer = list_session.get(api + "/requests", headers=headers, timeout=60)
                    answer.raise_for_status()
                    rows = answer.json()["requests"]
                    assert len(rows) == 20 and all(r["request_id"].startswith("2") for r in rows), rows[:2]

                # The first call after the seeding sorts the school's partition; moto keeps it until
                # the table's next write (chalicelib/local/moto_speedups.py): both are reported.
                started = time.perf_counter()
                first_page()
                list_first_ms = (time.perf_counter() - started) * 1000
                list_ms, list_samples = median_ms(first_page, args.list_rounds)
            finally:
                dynamodb.update_item(TableName=table, Key=profile_key, UpdateExpression="SET school_id = :s",
                                     ExpressionAttributeValues={":s": own_school})
            log(f"  GET /requests at {args.items} items: {list_ms:.1f} ms (median of {args.list_rounds})")
            # The references again, with the table full: what a call costs at that size.
            reference_health_full, _ = median_ms(
                lambda: health_session.get(api + "/health", timeout=10).raise_for_status(), args.reference_rounds)
            reference_get_item_full, _ = median_ms(lambda: dynamodb.get_item(TableName=table, Key=probe),
                                                   args.reference_rounds)
        finally:
            stop_stack(stack)

    flow.pop("numbers")
    return {
        "throughput": flow, "throughput_target": THROUGHPUT_TARGET,
        "throughput_ok": flow["complete"] and flow["requests_per_s"] >= THROUGHPUT_TARGET,
        "list_items": args.items, "list_rounds": args.list_rounds, "list_median_ms": list_ms,
        "list_samples_ms": list_samples, "list_first_ms": list_first_ms, "list_target_ms": LIST_TARGET_MS,
        "list_ok": args.items >= LIST_ITEMS and list_ms <= LIST_TARGET_MS, "seed_s": seed_s,
        "after_seed_request_s": catch_up_s, "startup_backlog_s": quiet_s, "after_seed_request_queued": after_seed["complete"],
        "reference_health_ms": reference_health, "reference_get_item_ms": reference_get_item,
        "reference_health_full_ms": reference_health_full, "reference_get_item_full_ms": reference_get_item_full,
        "list_per_health": list_ms / reference_health_full,
        "list_per_get_item": list_ms / reference_get_item_full,
        # One request's share of the pipeline, in GET /health round trips.
        "seconds_per_request_per_health": (1 / flow["requests_per_s"] * 1000 / reference_health)
        if flow["requests_per_s"] else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-client", type=int, default=6)
    parser.add_argument("--items", type=int, default=LIST_ITEMS)
    parser.add_argument("--list-rounds", type=int, default=15)
    parser.add_argument("--reference-rounds", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the queue after filing")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
