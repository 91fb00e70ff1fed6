"""PDF layouts (attestation d'inscription, CEPC, receipts) with fpdf2 and bundled fonts.

Imported by worker functions only: fpdf2 is the slowest import (fontTools) and stays out of the
API function (bench/README.md checks it)."""
