"""Regenerates the reference data files of this folder from two extracted npm packages.

    python chalicelib/data/build_reference_data.py CODES_POSTAUX_DIR I18N_ISO_COUNTRIES_DIR

CODES_POSTAUX_DIR is the extracted `codes-postaux` package (the folder holding
codes-postaux.json), I18N_ISO_COUNTRIES_DIR the extracted `i18n-iso-countries` package (the
folder holding langs/fr.json). See README.md for the versions used and the full commands.
Standard library only; the output is deterministic (same input, same bytes).
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMUNES_FILE = "communes.json.gz"
COUNTRIES_FILE = "countries.json"
POSTAL_CODE = re.compile(r"[0-9]{5}")
INSEE_CODE = re.compile(r"[0-9]{2}[0-9]{3}|2[AB][0-9]{3}")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def _package_version(package_dir: Path) -> str:
    return json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]


def build_communes(codes_postaux_dir: Path) -> dict[str, list[list[str]]]:
    """Postal code -> sorted, deduplicated [INSEE code, commune name] pairs."""
    entries = json.loads((codes_postaux_dir / "codes-postaux.json").read_text(encoding="utf-8"))
    by_postal_code: dict[str, set[tuple[str, str]]] = {}
    for entry in entries:
        postal_code, insee_code, name = entry["codePostal"], entry["codeCommune"], entry["nomCommune"].strip()
        if not POSTAL_CODE.fullmatch(postal_code) or not INSEE_CODE.fullmatch(insee_code) or not name:
            raise ValueError(f"unexpected entry: {entry!r}")
        by_postal_code.setdefault(postal_code, set()).add((insee_code, name))
    return {code: [list(pair) for pair in sorted(pairs)] for code, pairs in sorted(by_postal_code.items())}


def build_countries(i18n_iso_countries_dir: Path) -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> French name (the first one when the package gives several)."""
    countries = json.loads((i18n_iso_countries_dir / "langs" / "fr.json").read_text(encoding="utf-8"))["countries"]
    result = {}
    for code, names in countries.items():
        name = names if isinstance(names, str) else names[0]
        if not COUNTRY_CODE.fullmatch(code) or not name.strip():
            raise ValueError(f"unexpected country: {code!r}: {names!r}")
        result[code] = name.strip()
    return dict(sorted(result.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("codes_postaux_dir", type=Path, help="extracted codes-postaux npm package")
    parser.add_argument("i18n_iso_countries_dir", type=Path, help="extracted i18n-iso-countries npm package")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args(argv)

    communes = build_communes(args.codes_postaux_dir)
    payload = json.dumps(communes, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    # mtime=0 and no file name in the header: the same data always gives the same bytes.
    (args.out / COMMUNES_FILE).write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))

    countries = build_countries(args.i18n_iso_countries_dir)
    (args.out / COUNTRIES_FILE).write_text(
        json.dumps(countries, ensure_ascii=False, sort_keys=True, indent=1) + "\n", encoding="utf-8")

    print(f"{COMMUNES_FILE}: {len(communes)} postal codes, {sum(map(len, communes.values()))} entries "
          f"(codes-postaux {_package_version(args.codes_postaux_dir)})")
    print(f"{COUNTRIES_FILE}: {len(countries)} countries "
          f"(i18n-iso-countries {_package_version(args.i18n_iso_countries_dir)})")


if __name__ == "__main__":
    main()
