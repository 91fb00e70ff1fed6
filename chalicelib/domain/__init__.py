"""Pure domain code: models, rules, state machines. Never imports boto3 or chalice."""
