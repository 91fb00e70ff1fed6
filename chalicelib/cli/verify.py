"""`python -m chalicelib.cli.verify (--payload TEXTE | --image FICHIER.png | --pdf FICHIER.pdf)
--public-key CLE.pem`: checks offline that a document issued by Permis en ligne (attestation
d'inscription, fiche retour au permis, CEPC, récépissé de dépôt) is authentic, from its QR code.

The QR code is read from a photo or scan (`--image`, zxing-cpp), from the PDF itself (`--pdf`:
its pages are rendered by pdftoppm, from poppler-utils, then read), or given as text
(`--payload`). It is checked against the service's public key(s) in PEM (the `kid` of each is
computed from it; give `--public-key` once per key in use during a rotation). No network.

Exit code: 0 authentic, 1 not authentic (or no code found), 2 usage error."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chalicelib.cli import FrenchParser
from chalicelib.domain.verification import PREFIX, Verification, key_id, verify_payload

OK, NOT_AUTHENTIC, USAGE = 0, 1, 2
PDF_RESOLUTION_DPI = 200  # a QR module of 0.55 mm is about 4 pixels: plenty for the decoder


class UsageError(Exception):
    """Said to the user in French, exit code 2."""


def load_public_keys(paths: list[Path]) -> dict[str, bytes]:
    """kid -> DER SubjectPublicKeyInfo of each PEM file."""
    from cryptography.hazmat.primitives import serialization

    keys: dict[str, bytes] = {}
    for path in paths:
        try:
            pem = path.read_bytes()
        except OSError as error:
            raise UsageError(f"Lecture impossible de la clé publique {path} : {error.strerror or error}.") from None
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError):
            raise UsageError(f"{path} n'est pas une clé publique au format PEM.") from None
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        keys[key_id(der)] = der
    return keys


def codes_in_image(path: Path) -> list[str]:
    """The texts of the QR codes found in an image file."""
    from PIL import Image, UnidentifiedImageError

    try:
        import zxingcpp
    except ImportError:
        raise UsageError("zxing-cpp est nécessaire pour lire un code QR (pip install -r requirements-dev.txt), ou "
                         "donnez le texte du code avec --payload.") from None

    try:
        with Image.open(path) as image:
            image.load()
            return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    except FileNotFoundError:
        raise UsageError(f"Fichier introuvable : {path}.") from None
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise UsageError(f"Image illisible : {path} ({error}).") from None


def codes_in_pdf(path: Path) -> list[str]:
    """The texts of the QR codes found on the pages of a PDF (rendered by pdftoppm)."""
    if not path.is_file():
        raise UsageError(f"Fichier introuvable : {path}.")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise UsageError("pdftoppm est introuvable : installez poppler-utils (apt-get install poppler-utils), ou "
                         "vérifiez une image du code avec --image.")
    with tempfile.TemporaryDirectory(prefix="permis-verify-") as folder:
        try:
            subprocess.run([pdftoppm, "-r", str(PDF_RESOLUTION_DPI), "-gray", "-png", str(path),
                            str(Path(folder) / "page")], check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as error:
            detail = error.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UsageError(f"PDF illisible : {path}" + (f" ({detail[-1]})." if detail else ".")) from None
        except subprocess.TimeoutExpired:
            raise UsageError(f"PDF trop long à lire : {path}.") from None
        codes: list[str] = []
        for page in sorted(Path(folder).glob("page*.png")):
            codes += codes_in_image(page)
        return codes


def report(verification: Verification) -> str:
    if verification.authentic:
        return "\n".join([f"Résultat : authentique. {verification.message}", *("  " + line for line in
                                                                               verification.lines())])
    return f"Résultat : NON authentique ({verification.code}). {verification.message}"


def main(argv: list[str] | None = None) -> int:
    parser = FrenchParser(
        prog="python -m chalicelib.cli.verify",
        description="Vérifie hors ligne qu'un document Permis en ligne (attestation d'inscription, fiche retour "
                    "au permis, certificat d'examen, récépissé de dépôt) est authentique, d'après son code QR signé.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--payload", help="le texte du code QR")
    source.add_argument("--image", type=Path, help="une image (PNG, JPEG...) où figure le code QR")
    source.add_argument("--pdf", type=Path, help="le document PDF (pdftoppm, de poppler-utils, est nécessaire)")
    parser.add_argument("--public-key", type=Path, action="append", required=True, metavar="CLE.pem",
                        help="la clé publique de signature de Permis en ligne (PEM) ; répétable")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage; its code is 2 for errors
        return USAGE if exit_.code else OK
    try:
        keys = load_public_keys(args.public_key)
        if args.payload is not None:
            codes = [args.payload]
        elif args.image is not None:
            codes = codes_in_image(args.image)
        else:
            codes = codes_in_pdf(args.pdf)
    except UsageError as error:
        print(error, file=sys.stderr)
        return USAGE
    if not codes:
        print("Résultat : NON authentique (no_code). Aucun code QR n'a été trouvé : scannez le document à nouveau, "
              "plus net et en entier.")
        return NOT_AUTHENTIC
    # Our codes first; a document with several codes is authentic only when every one of them is.
    codes.sort(key=lambda text: not text.startswith(PREFIX + "|"))
    results = [verify_payload(text, keys) for text in codes]
    for index, verification in enumerate(results):
        prefix = f"Code {index + 1}/{len(results)} – " if len(results) > 1 else ""
        print(prefix + report(verification))
    return OK if all(v.authentic for v in results) else NOT_AUTHENTIC


if __name__ == "__main__":
    sys.exit(main())
