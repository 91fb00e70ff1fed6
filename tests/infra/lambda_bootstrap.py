"""What the Lambda Python runtime does with a function, for tests/infra/test_deployed_functions.py:
run as `python -S lambda_bootstrap.py <event.json> <result.json>` in an unpacked function zip, it
puts the task root first on sys.path (and nothing from this machine's site-packages: -S), imports
the module named by `_HANDLER` as Lambda does, calls the attribute with the event and a context,
and writes the result or the error in the runtime's own shape. Standard library only."""
import importlib
import json
import os
import sys
import time
import traceback
import uuid


class LambdaContext:
    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.invoked_function_arn = (f"arn:aws:lambda:{os.environ['AWS_REGION']}:123456789012:function:"
                                     f"{self.function_name}")
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = "2026/12/06/[$LATEST]parity"
        self._deadline = time.monotonic() + float(os.environ.get("PARITY_TIMEOUT_SECONDS", "60"))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(event_path: str, result_path: str) -> int:
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[0] = task_root  # replaces this script's folder: only the artefact is importable
    os.chdir(task_root)
    module_name, _, attribute = os.environ["_HANDLER"].rpartition(".")
    with open(event_path) as source:
        event = json.load(source)
    context = LambdaContext()
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), attribute)
        result = {"ok": handler(event, context), "request_id": context.aws_request_id}
    except Exception as error:  # the runtime's error shape
        result = {"errorType": type(error).__name__, "errorMessage": str(error),
                  "stackTrace": traceback.format_exc().splitlines(), "request_id": context.aws_request_id}
    sys.stdout.flush()
    with open(result_path, "w") as target:
        json.dump(result, target, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
