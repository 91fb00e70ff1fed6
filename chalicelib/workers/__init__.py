"""Chalice event handlers (SQS, DynamoDB stream, schedules): thin, batch-aware, idempotent."""
