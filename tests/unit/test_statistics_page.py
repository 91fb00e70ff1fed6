"""The statistics page offers the départements the API accepts (chalicelib/domain/geography.py):
its list is rendered from them, in their order (01…19, 2A, 2B, 21…), after "France entière"."""
import re

from chalicelib.domain.geography import DEPARTEMENTS
from infra.pages import render_pages


def test_the_statistics_page_lists_the_same_departements_as_the_domain():
    page = render_pages(local=True)["statistiques.html"].decode()
    select = page[page.index('<select class="fr-select" id="departement"'):]
    select = select[:select.index("</select>")]
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', select)
    assert options[0] == ("national", "France entière")
    assert options[1:] == [(code, f"{name} ({code})".replace("'", "&#39;")) for code, name in DEPARTEMENTS.items()]
