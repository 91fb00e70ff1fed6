"""The ePhoto images (issue 20, item 2) without AWS: the local stand-in of the operator and its
images, the operator client's answers and failures (adapters/ephoto.py), what a view gives as
time passes (domain/ephoto.view), and the worker's fetch with its checker (services/ephoto.py)."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from chalicelib.adapters.ephoto import HttpEphotoOperator
from chalicelib.documents.checks import Accepted, check_document
from chalicelib.domain.ephoto import (DONE, FETCH_PATIENCE, NOT_FOUND, PENDING, REFUSED, RETRY_AFTER, SPECS,
                                      UNAVAILABLE, Ask, EphotoImage, EphotoUnavailable, EphotoUnknown, Failed,
                                      Pending, Stored, view)
from chalicelib.local.ephoto_server import BACKGROUND, portrait, signature
from chalicelib.services.ephoto import EphotoFetch, stored_key

CODE, OTHER = "AB12CD34EF56GH78IJ90KL", "ZZ98YX76WV54UT32SR10QP"


@pytest.fixture
def stand_in(ephoto_operator):
    """The stand-in on a free port (tests/conftest.py), as `make run` starts it."""
    return ephoto_operator


def serve(handler_do_get):
    """A one-off operator that misbehaves as `handler_do_get(handler)` says."""
    handler = type("Handler", (BaseHTTPRequestHandler,), {"do_GET": handler_do_get,
                                                          "log_message": lambda *args: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the stand-in's images -----------------------------------------------------------------------

def test_the_stand_in_draws_an_id_photo_like_portrait_of_35_by_45_with_a_tint_of_the_code():
    photo = Image.open(io.BytesIO(portrait(CODE)))
    assert photo.format == "JPEG" and photo.mode == "RGB"
    width, height = photo.size
    assert (width, height) == (413, 531) and abs(width / height - 35 / 45) < 0.005
    # A plain light background around the head, as an ID photo's; the clothes at the bottom.
    for corner in ((3, 3), (width - 4, 3), (3, height // 2), (width - 4, height // 2)):
        assert all(abs(a - b) <= 6 for a, b in zip(photo.getpixel(corner), BACKGROUND)), corner
    face = photo.getpixel((width // 2, int(height * 0.35)))
    assert sum(abs(a - b) for a, b in zip(face, BACKGROUND)) > 60  # someone is there
    clothes = photo.getpixel((width // 2 + 120, height - 10))
    other = Image.open(io.BytesIO(portrait(OTHER))).getpixel((width // 2 + 120, height - 10))
    assert clothes != other  # each code its own tint
    assert portrait(CODE) == portrait(CODE)  # the same image for the same code, every time


def test_the_stand_in_scribbles_a_signature_on_white():
    assert Image.open(io.BytesIO(signature(CODE))).format == "PNG"
    image = Image.open(io.BytesIO(signature(CODE))).convert("L")
    histogram = image.histogram()
    ink, paper = sum(histogram[:128]), sum(histogram[250:])
    assert paper > 0.85 * image.width * image.height and ink > 1500  # mostly white, with strokes
    assert signature(CODE) == signature(CODE) and signature(CODE) != signature(OTHER)


@pytest.mark.parametrize("code", [CODE, OTHER])
def test_the_stand_in_images_pass_the_document_checker_within_their_spec(code):
    for content, content_type, part in ((portrait(code), "image/jpeg", "photo"),
                                        (signature(code), "image/png", "signature")):
        spec = SPECS[part]
        assert content_type in spec.content_types
        result = check_document(content, content_type, spec.min_bytes, spec.max_bytes, spec.max_pixels)
        assert isinstance(result, Accepted) and result.content_type == content_type


def test_the_stand_in_answers_like_the_operator_and_refuses_its_documented_codes(stand_in):
    import urllib.error
    import urllib.request

    def get(path):
        try:
            with urllib.request.urlopen(stand_in.url + path, timeout=5) as answer:
                return answer.status, answer.headers.get_content_type()
        except urllib.error.HTTPError as error:
            return error.code, None

    assert get(f"/ephoto/{CODE}/photo") == (200, "image/jpeg")
    assert get(f"/ephoto/{CODE}/signature") == (200, "image/png")
    assert get("/ephoto/INCONNU000000000000001/photo")[0] == 404  # documented: unknown to the operator
    assert get("/ephoto/PANNE00000000000000001/signature")[0] == 503  # documented: the operator is down
    assert get("/ephoto/ab12/photo")[0] == 404 and get(f"/ephoto/{CODE}/autre")[0] == 404
    assert stand_in.served[0] == f"/ephoto/{CODE}/photo" and len(stand_in.served) == 6


# --- the operator's client -----------------------------------------------------------------------

def test_the_client_gets_each_part_with_its_content_type(stand_in):
    operator = HttpEphotoOperator(stand_in.url + "/")
    assert operator.fetch(CODE, "photo") == EphotoImage(portrait(CODE), "image/jpeg")
    assert operator.fetch(CODE, "signature") == EphotoImage(signature(CODE), "image/png")


def test_an_unknown_code_is_the_operator_s_404_and_every_other_failure_is_unavailable(stand_in):
    from chalicelib.local.processes import free_ports

    operator = HttpEphotoOperator(stand_in.url)
    with pytest.raises(EphotoUnknown):
        operator.fetch("INCONNU000000000000001", "photo")
    with pytest.raises(EphotoUnavailable, match="HTTP 503"):
        operator.fetch("PANNE00000000000000001", "photo")

    def broken(handler):
        handler.send_error(500)

    server = serve(broken)
    with pytest.raises(EphotoUnavailable, match="HTTP 500"):
        HttpEphotoOperator(f"http://127.0.0.1:{server.server_address[1]}").fetch(CODE, "photo")
    server.shutdown()
    [closed] = free_ports(1)
    with pytest.raises(EphotoUnavailable):
        HttpEphotoOperator(f"http://127.0.0.1:{closed}").fetch(CODE, "photo")  # connection refused


def test_a_slow_or_trickling_operator_times_out_as_unavailable_and_a_huge_answer_is_never_read_whole():
    release = threading.Event()

    def slow(handler):
        release.wait(5)

    server = serve(slow)
    started = time.monotonic()
    with pytest.raises(EphotoUnavailable):
        HttpEphotoOperator(f"http://127.0.0.1:{server.server_address[1]}", timeout=0.3).fetch(CODE, "photo")
    assert time.monotonic() - started < 3
    release.set()
    server.shutdown()

    def sending(pieces, pause=0.0):
        """A 200 JPEG answer whose body comes as `pieces`, `pause` seconds apart."""
        def answer(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", "image/jpeg")
            handler.end_headers()
            try:
                for piece in pieces:
                    handler.wfile.write(piece)
                    handler.wfile.flush()
                    time.sleep(pause)
            except ConnectionError:
                pass
        return answer

    # Every byte in time for the socket's timeout, the whole far too late.
    server = serve(sending([b"\xff"] * 40, pause=0.1))
    started = time.monotonic()
    with pytest.raises(EphotoUnavailable):
        HttpEphotoOperator(f"http://127.0.0.1:{server.server_address[1]}", timeout=0.5).fetch(CODE, "photo")
    assert time.monotonic() - started < 2
    server.shutdown()

    huge = sending([b"\xff\xd8\xff" + b"\0" * (SPECS["photo"].max_bytes + 4096)])
    server = serve(huge)
    image = HttpEphotoOperator(f"http://127.0.0.1:{server.server_address[1]}").fetch(CODE, "photo")
    assert len(image.content) == SPECS["photo"].max_bytes + 1  # one byte over: the checker says too large
    server.shutdown()


def test_the_operator_s_address_must_be_http():
    with pytest.raises(ValueError):
        HttpEphotoOperator("file:///etc")


# --- what a view gives ---------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def at(delta: timedelta) -> str:
    return (NOW - delta).isoformat()


def test_a_view_serves_the_copy_kept_else_waits_for_the_fetch_else_says_the_operator_s_answer():
    record = {"code": CODE}
    assert view(record, "photo", NOW) == Ask(None)  # the first view asks
    kept = {**record, "photo_key": "checked/k.jpg", "photo_content_type": "image/jpeg", "fetch_state": DONE}
    assert view(kept, "photo", NOW) == Stored("checked/k.jpg", "image/jpeg")
    assert view({**record, "fetch_state": PENDING, "fetch_at": at(timedelta(seconds=5))}, "photo", NOW) == Pending()
    # A fetch asked long ago with no answer (its message lost) is asked again, from what was read.
    lost = at(FETCH_PATIENCE + timedelta(seconds=1))
    assert view({**record, "fetch_state": PENDING, "fetch_at": lost}, "signature", NOW) == Ask(lost)
    assert view({**record, "fetch_state": NOT_FOUND, "fetch_at": at(timedelta(days=3))}, "photo", NOW) == \
        Failed(NOT_FOUND)
    failed = {**record, "fetch_state": UNAVAILABLE, "fetch_at": at(timedelta(seconds=10))}
    assert view(failed, "photo", NOW) == Failed(UNAVAILABLE, 20)
    refused = {**record, "fetch_state": REFUSED, "fetch_at": at(RETRY_AFTER - timedelta(seconds=0.5))}
    assert view(refused, "photo", NOW) == Failed(REFUSED, 1)
    later = at(RETRY_AFTER)
    assert view({**failed, "fetch_at": later}, "photo", NOW) == Ask(later)  # then the operator is asked again


# --- the worker's fetch --------------------------------------------------------------------------

class Documents:
    def __init__(self, record):
        self.record = record
        self.recorded = []

    def get(self, request_id, document):
        return self.record

    def record_ephoto_fetch(self, request_id, code, state, stored, at):
        self.recorded.append((state, stored))
        return True


def fetch_with(record, images, check):
    stored = []
    calls = []

    def fetch(code, part):
        calls.append(part)
        answer = images[part]
        if isinstance(answer, Exception):
            raise answer
        return answer

    documents = Documents(record)
    outcome = EphotoFetch(documents, fetch, check, lambda *args: stored.append(args),
                          clock=lambda: NOW).run("261100000001")
    return outcome, documents.recorded, stored, calls


def accept(data, content_type, spec):
    return EphotoImage(b"clean " + data, content_type)


PENDING_RECORD = {"code": CODE, "fetch_state": PENDING, "fetch_at": NOW.isoformat()}
IMAGES = {"photo": EphotoImage(b"photo", "image/jpeg"), "signature": EphotoImage(b"sig", "image/png")}


def test_the_worker_keeps_both_checked_images_under_the_request_folder_of_the_code():
    outcome, recorded, stored, _ = fetch_with(PENDING_RECORD, IMAGES, accept)
    photo_key, signature_key = stored_key("261100000001", CODE, "photo", "image/jpeg"), \
        stored_key("261100000001", CODE, "signature", "image/png")
    assert outcome == DONE and photo_key.startswith("checked/261100000001/ephoto/") and photo_key.endswith("/photo.jpg")
    assert signature_key.endswith("/signature.png") and CODE not in photo_key
    assert stored == [(photo_key, b"clean photo", "image/jpeg"), (signature_key, b"clean sig", "image/png")]
    assert recorded == [(DONE, {"photo": (photo_key, "image/jpeg"), "signature": (signature_key, "image/png")})]
    assert stored_key("261100000001", OTHER, "photo", "image/jpeg") != photo_key  # one folder per code


def test_an_image_the_checker_refuses_or_of_the_wrong_type_is_not_kept():
    outcome, recorded, stored, _ = fetch_with(PENDING_RECORD, IMAGES, lambda data, content_type, spec: "too_small")
    assert outcome == REFUSED and stored == [] and recorded == [(REFUSED, {})]
    png_photo = {**IMAGES, "photo": EphotoImage(b"photo", "image/png")}  # an ID photo is a JPEG
    assert fetch_with(PENDING_RECORD, png_photo, accept)[0] == REFUSED


def test_the_operator_s_answers_are_recorded_and_a_message_with_nothing_asked_does_nothing():
    unknown = {**IMAGES, "photo": EphotoUnknown("photo")}
    assert fetch_with(PENDING_RECORD, unknown, accept)[:2] == (NOT_FOUND, [(NOT_FOUND, {})])
    down = {**IMAGES, "signature": EphotoUnavailable("HTTP 502")}
    outcome, recorded, stored, _ = fetch_with(PENDING_RECORD, down, accept)
    assert outcome == UNAVAILABLE and list(recorded[0][1]) == ["photo"] and len(stored) == 1  # what came is kept
    # Kept already (a replayed message), or nothing asked: the operator is not called.
    for record in ({**PENDING_RECORD, "fetch_state": DONE}, {"code": CODE}, None):
        assert fetch_with(record, IMAGES, accept) == (None, [], [], [])
    # The photo kept by an earlier fetch: only the signature is asked.
    half = {**PENDING_RECORD, "photo_key": "checked/x/photo.jpg"}
    assert fetch_with(half, IMAGES, accept)[3] == ["signature"]
