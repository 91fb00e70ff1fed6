"""The only code that talks to AWS. Clients are built lazily, once per process."""
