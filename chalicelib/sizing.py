"""What each function is given on Lambda, in one place for infra/ and the local stack.

Memory: from the function's peak on its worst allowed input, measured by bench/function_memory.py
(bench/README.md §6) with at least 1.5x headroom. Lambda gives CPU in proportion to memory, so
the API and the authorizer, whom people wait for, get more than their peak needs.

Concurrency: how many copies of a queue's consumer may run at once (SQS MaximumConcurrency), so
that a burst of work never takes the account's concurrency from the API; and one copy at a time
for a scheduled job (a run that outlasts its period must not overlap the next: they would take
the same due items)."""
from __future__ import annotations

DEFAULT_MEMORY_MB = 256
MEMORY_MB = {
    # Decodes an image of up to DEFAULT_MAX_PIXELS (40 MP): 222 MiB at the peak.
    "check_documents": 512,
    # People wait for these two: a cold start at 128 MB gets a thirteenth of a vCPU.
    "api_handler": 512,
    "jwt_authorizer": 512,
}
# Every other function: 60 MiB at the peak (the app and its clients); the PDF workers 111 MiB
# (fpdf2, fontTools and the fonts).

# Per consumer queue: the most concurrent batches (SQS MaximumConcurrency, 2..1000), each holding 10x
# September's busiest hour by the capacity model (infra/CAPACITY.md). The sum stays well under the
# account's 1,000 so that the API always has room.
QUEUE_CONSUMER_CONCURRENCY = {
    "document-checks": 100,  # about 5 at 1x: a second of decoding and re-encoding per upload
    "emails": 20,  # SES's sending rate is the limit, not Lambda's
    "notifications": 20,
    "receipts": 10,
    "attestations": 10,
    "statistics": 5,  # few writers on the counters: fewer conflicts
    "draft-deletions": 5,
    "stream-failures": 2,
    "demo": 2,
}
SCHEDULED_CONCURRENCY = 1


def memory_mb(function: str | None) -> int:
    return MEMORY_MB.get(function or "", DEFAULT_MEMORY_MB)
