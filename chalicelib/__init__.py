"""Permis en ligne: everything the Chalice app packages besides app.py."""
