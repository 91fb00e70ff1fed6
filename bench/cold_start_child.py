"""Run inside a FRESH interpreter by bench/cold_start.py, with cwd set to the directory of the app
under test (the project root, or bench/reference_app).

It does what the Lambda runtime does on a cold start: import the handler module, then call the
real entry point `app(event, context)` with the first request, GET /health. It then prints one
line, prefixed with RESULT_MARKER, holding its own measures as JSON (the app's logs also go to
stdout, so the parent looks for the marker)."""
import os
import sys
import time

# The parent records time.monotonic_ns() just before spawning us; CLOCK_MONOTONIC is system-wide
# on Linux, so the difference with our readings is the time since the spawn.
STARTED_NS = time.monotonic_ns()

import json  # noqa: E402  (after STARTED_NS: the driver's own imports are not interpreter start-up)
import resource  # noqa: E402

from lambda_shapes import LambdaContext, api_gateway_event  # noqa: E402  (this script's directory)

RESULT_MARKER = "BENCH_RESULT "
HEAVY_MODULES = ("fpdf", "fontTools")  # PDF generation: worker functions only, never the API

# Like Lambda's /var/task: the handler module is found from the function's own directory first.
sys.path.insert(0, os.getcwd())

from app import app  # noqa: E402

IMPORTED_NS = time.monotonic_ns()
response = app(api_gateway_event("GET", "/health"), LambdaContext())
if "chalicelib" in sys.modules:
    # The app loads boto3 only when a route first talks to AWS (GET /health does not); the
    # reference builds a client at import. Counted here so that both pay for boto3 and one client.
    from chalicelib.adapters.aws import client

    client("dynamodb")
ANSWERED_NS = time.monotonic_ns()

loaded_heavy = sorted(name for name in sys.modules if name.split(".")[0] in HEAVY_MODULES)
print(RESULT_MARKER + json.dumps({
    "started_ns": STARTED_NS,
    "imported_ns": IMPORTED_NS,
    "answered_ns": ANSWERED_NS,
    "status": response.get("statusCode"),
    # Linux reports ru_maxrss in KiB.
    "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "heavy_modules_loaded": loaded_heavy,
    "module_count": len(sys.modules),
}), flush=True)
