"""The static site as deployed: web/'s pages with the DSFR files they use and the config.json that
points them at the API on their own origin. `make package` writes it to dist/<stage>/web/; the
local mailbox page (make run only) is left out.

    python -m infra.site --out dist/dev/web"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from infra.website import API_PATH

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEB_DIR = PROJECT_DIR / "web"
DSFR_DIST = PROJECT_DIR / "node_modules" / "@gouvfr" / "dsfr" / "dist"
LOCAL_ONLY = {"boite-mail.html", "boite-mail.js", "README.md"}
# What the pages ask for under dsfr/: the minified bundle, its fonts, icons (the SVGs icones.css
# and the bundle point at) and favicons.
DSFR_FILES = ["dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js"]
DSFR_FOLDERS = ["fonts", "icons", "favicon"]
# Other front-end packages, as the local web server serves them (its PACKAGE_PREFIXES): the
# file the pages ask for, under its prefix.
LIBRARIES = {"lib/jsqr/jsQR.js": PROJECT_DIR / "node_modules" / "jsqr" / "dist" / "jsQR.js"}


def build_site(out: Path) -> Path:
    if not DSFR_DIST.exists():
        raise SystemExit("Le DSFR n'est pas installé (node_modules) : lancez npm ci (make package le fait).")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for page in WEB_DIR.iterdir():
        if page.is_file() and page.name not in LOCAL_ONLY:
            shutil.copy2(page, out / page.name)
    for name in DSFR_FILES:
        (out / "dsfr" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(DSFR_DIST / name, out / "dsfr" / name)
    for folder in DSFR_FOLDERS:
        shutil.copytree(DSFR_DIST / folder, out / "dsfr" / folder)
    for name, source in LIBRARIES.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, out / name)
    (out / "config.json").write_text(json.dumps({"apiUrl": API_PATH}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    build_site(parser.parse_args(argv).out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
