"""The static site as deployed: the pages rendered from web/pages/ and what they load (infra/pages.py,
as `make run` serves them: the stylesheet and the pages' scripts), web/'s scripts and styles, the DSFR files they use and the config.json that points
them at the API on their own origin. `make package` writes it to dist/<stage>/web/; the local
mailbox (make run only) is left out.

    python -m infra.site --out dist/dev/web"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from infra.pages import STATIC_SUFFIXES, render_site
from infra.website import API_PATH

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEB_DIR = PROJECT_DIR / "web"
DSFR_DIST = PROJECT_DIR / "node_modules" / "@gouvfr" / "dsfr" / "dist"
# The local mailbox's script, beside its page (infra/pages.py LOCAL_ONLY): make run only.
LOCAL_ONLY = {"boite-mail.js"}
# What the pages ask for under dsfr/: the minified bundle, its fonts, icons (the SVGs the DSFR's
# stylesheet and site.css point at), favicons, and the pictograms the pages draw (ARTWORK, found in them).
DSFR_FILES = ["dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js"]
DSFR_FOLDERS = ["fonts", "icons", "favicon"]
ARTWORK = re.compile(r'href="dsfr/(artwork/[a-z0-9/-]+\.svg)#')
# Other front-end packages, as the local web server serves them (its PACKAGE_PREFIXES): the
# file the pages ask for, under its prefix.
ALTCHA_DIST = PROJECT_DIR / "node_modules" / "altcha" / "dist_external"
DSFR_CHART_DIST = PROJECT_DIR / "node_modules" / "@gouvfr" / "dsfr-chart" / "dist" / "DSFRChart"
LIBRARIES = {"lib/jsqr/jsQR.js": PROJECT_DIR / "node_modules" / "jsqr" / "dist" / "jsQR.js",
             **{f"lib/altcha/{name}": ALTCHA_DIST / name for name in ("altcha.js", "altcha.css", "worker.js")},
             **{f"lib/dsfr-chart/{name}": DSFR_CHART_DIST / name for name in ("DSFRChart.js", "DSFRChart.css")}}


def build_site(out: Path) -> Path:
    if not DSFR_DIST.exists():
        raise SystemExit("Le DSFR n'est pas installé (node_modules) : lancez npm ci (make package le fait).")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    built = render_site(local=False)
    for name, content in built.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    pages = {name: content for name, content in built.items() if name.endswith(".html")}
    for source in WEB_DIR.iterdir():
        if source.is_file() and source.name.endswith(STATIC_SUFFIXES) and source.name not in LOCAL_ONLY:
            shutil.copy2(source, out / source.name)
    artwork = {found for content in pages.values() for found in ARTWORK.findall(content.decode("utf-8"))}
    for name in DSFR_FILES + sorted(artwork):
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
