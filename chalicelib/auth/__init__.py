"""Authentication helpers of the API: verification of the Cognito access tokens (tokens.py)."""
