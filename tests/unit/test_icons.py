"""web/icones.css holds the DSFR icons the pages use (infra/icons.py), pointed at files that exist."""
import re

import pytest

from infra import icons


@pytest.fixture(scope="module")
def sheet():
    if not icons.ICONS_CSS.exists():
        pytest.fail("the DSFR is not installed (node_modules): run the tests with make test")
    return icons.OUTPUT.read_text(encoding="utf-8")


def test_every_icon_a_page_uses_is_in_the_pages_icon_sheet_and_nothing_else(sheet):
    defined = set(re.findall(r"^\.(fr-icon-[a-z0-9-]+):after", sheet, flags=re.M))
    assert defined == icons.used_icons(), "run: python -m infra.icons"
    assert sheet == icons.build()


def test_each_icon_points_at_an_svg_of_the_installed_dsfr(sheet):
    dist = icons.ICONS_CSS.parents[2]
    for path in set(re.findall(r"url\(dsfr/([^)]+)\)", sheet)):
        assert (dist / path).is_file(), path


def test_a_name_that_is_not_a_dsfr_icon_is_refused():
    with pytest.raises(SystemExit, match="n'est pas une icône du DSFR"):
        icons.icon_rule(icons.ICONS_CSS.read_text(encoding="utf-8"), "fr-icon-licorne-line")
