"""Reference for the cold-start benchmark: the smallest realistic Chalice API function.

It imports boto3 and builds one client at import (what any function that talks to DynamoDB
pays), then answers GET /health. The app's cold start is compared with this one."""
import boto3
from chalice import Chalice

app = Chalice(app_name="reference")

# Built at import on purpose: the reference pays for boto3 and one client, like the real app will.
dynamodb = boto3.client("dynamodb")


@app.route("/health")
def health():
    return {"status": "ok"}
