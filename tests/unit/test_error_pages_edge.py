"""The edge function that gives the deployed site its own error pages (infra/edge/error_pages.py):
S3's refusals become the French 404, its failures the 500 or 503 page; anything else passes."""
import shutil

import pytest

from infra.edge import error_pages
from infra.pages import render_pages


@pytest.fixture
def packaged(tmp_path, monkeypatch):
    """The function's package as `make package` builds it: the handler beside the rendered pages."""
    for name, content in render_pages(local=False).items():
        if name in ("404.html", "500.html", "503.html"):
            (tmp_path / name).write_bytes(content)
    shutil.copy2(error_pages.__file__, tmp_path / "error_pages.py")
    monkeypatch.setattr(error_pages, "HERE", tmp_path)


def origin_response(status):
    return {"Records": [{"cf": {"response": {"status": str(status), "statusDescription": "x", "headers": {}}}}]}


@pytest.mark.parametrize("s3_status", [403, 404])
def test_a_key_the_bucket_lacks_is_the_french_404_page(packaged, s3_status):
    answer = error_pages.handler(origin_response(s3_status), None)
    assert answer["status"] == "404"
    assert answer["headers"]["content-type"][0]["value"] == "text/html; charset=utf-8"
    assert "Page non trouvée" in answer["body"] and "Erreur 404" in answer["body"]


@pytest.mark.parametrize(("s3_status", "status", "title"),
                         [(500, "500", "Erreur inattendue"), (502, "500", "Erreur inattendue"),
                          (503, "503", "Service indisponible")])
def test_an_origin_failure_is_the_site_s_own_error_page(packaged, s3_status, status, title):
    answer = error_pages.handler(origin_response(s3_status), None)
    assert answer["status"] == status and title in answer["body"]


@pytest.mark.parametrize("s3_status", [200, 304])
def test_a_page_that_exists_passes_untouched(packaged, s3_status):
    event = origin_response(s3_status)
    assert error_pages.handler(event, None) is event["Records"][0]["cf"]["response"]
