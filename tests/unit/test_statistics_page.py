"""web/statistiques.js offers the départements the API accepts (chalicelib/domain/geography.py)."""
import json
import re
from pathlib import Path

from chalicelib.domain.geography import DEPARTEMENTS

SCRIPT = Path(__file__).resolve().parents[2] / "web" / "statistiques.js"


def test_the_statistics_page_lists_the_same_departements_as_the_domain():
    found = re.search(r"const DEPARTEMENTS = (\{.*?\});", SCRIPT.read_text(encoding="utf-8"), flags=re.S)
    assert found, "const DEPARTEMENTS = {...}; is missing from web/statistiques.js"
    listed = json.loads(re.sub(r",\s*}", "}", found.group(1)))
    assert listed == DEPARTEMENTS
