"""A stand-in for the approved ePhoto operator's API, for `make run` and the tests: the same
requests as the operator's (adapters/ephoto.py), answered with images drawn here.

    GET /ephoto/<code>/photo       200 image/jpeg: an ID-photo-like portrait, 35 x 45 (413 x 531 px)
    GET /ephoto/<code>/signature   200 image/png: a signature scribbled on white

For any well-formed code (22 capital letters and digits), the same images every time: a plain
light background, a head-and-shoulders silhouette whose clothes, skin and hair tones come from the
code, and a scribble drawn from it. Two kinds of codes answer otherwise, so that the console's
error paths can be tried by hand:
    codes beginning with INCONNU (e.g. INCONNU000000000000001): 404, the operator does not know them;
    codes beginning with PANNE   (e.g. PANNE00000000000000001): 503, the operator is down.
Anything else (a malformed code, another path): 404.

Pillow is imported here only: chalicelib/local never ships to Lambda."""
from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNKNOWN_PREFIX = "INCONNU"
FAILING_PREFIX = "PANNE"
PHOTO_SIZE = (413, 531)  # 35 x 45 mm at 300 dpi
SIGNATURE_SIZE = (600, 200)
_PATH = re.compile(r"/ephoto/([^/]+)/(photo|signature)")
_CODE = re.compile(r"[A-Z0-9]{22}")
BACKGROUND = (233, 237, 241)  # plain, light, even: what an ID photo's background must be
SKIN_TONES = ((241, 204, 177), (224, 172, 138), (198, 140, 101), (160, 106, 72), (112, 72, 48), (235, 190, 160))
HAIR_TONES = ((40, 30, 25), (90, 60, 35), (150, 110, 60), (200, 170, 110), (70, 70, 75), (120, 50, 30))
INK = (24, 36, 96)  # a blue-black pen


def _seed(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def _hue_colour(byte: int) -> tuple[int, int, int]:
    """A muted colour of the hue the byte gives (the clothes: the code's tint)."""
    import colorsys

    red, green, blue = colorsys.hls_to_rgb(byte / 255, 0.38, 0.45)
    return round(red * 255), round(green * 255), round(blue * 255)


@functools.lru_cache(maxsize=64)
def portrait(code: str) -> bytes:
    """An ID-photo-like portrait (JPEG): head and shoulders, face centred, on a plain background."""
    from PIL import Image, ImageDraw

    seed = _seed(code)
    width, height = PHOTO_SIZE
    skin, hair, clothes = SKIN_TONES[seed[0] % len(SKIN_TONES)], HAIR_TONES[seed[1] % len(HAIR_TONES)], _hue_colour(seed[2])
    image = Image.new("RGB", PHOTO_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    centre = width // 2
    head_w, head_h = 190 + seed[3] % 16, 262 + seed[4] % 16
    top = 66
    # The neck, the shoulders and clothes with the collar's opening, the hair behind the head, the
    # face, the hair on top.
    draw.rectangle((centre - 38, top + head_h - 40, centre + 38, 400), fill=skin)
    draw.ellipse((centre - 225, 372, centre + 225, 372 + 330), fill=clothes)
    draw.polygon([(centre - 40, 368), (centre, 424), (centre + 40, 368)], fill=skin)
    draw.ellipse((centre - head_w // 2 - 10, top - 12, centre + head_w // 2 + 10, top + head_h * 0.72), fill=hair)
    draw.ellipse((centre - head_w // 2, top, centre + head_w // 2, top + head_h), fill=skin)
    draw.chord((centre - head_w // 2 - 6, top - 14, centre + head_w // 2 + 6, top + head_h * 0.55), 180, 360,
               fill=hair)
    # A neutral expression, eyes open, looking straight at the camera (as the rules ask).
    eyes_y = top + int(head_h * 0.47)
    for side in (-1, 1):
        x = centre + side * head_w // 5
        draw.ellipse((x - 11, eyes_y - 6, x + 11, eyes_y + 6), fill=(250, 250, 250))
        draw.ellipse((x - 5, eyes_y - 5, x + 5, eyes_y + 5), fill=(50, 40, 35))
        draw.line((x - 16, eyes_y - 18, x + 14, eyes_y - 20), fill=hair, width=4)  # eyebrows
    nose_y = top + int(head_h * 0.66)
    draw.line((centre, eyes_y + 12, centre - 6, nose_y), fill=tuple(max(0, c - 40) for c in skin), width=3)
    mouth_y = top + int(head_h * 0.8)
    draw.line((centre - 24, mouth_y, centre + 24, mouth_y), fill=(150, 70, 70), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@functools.lru_cache(maxsize=64)
def signature(code: str) -> bytes:
    """A signature scribbled on white (PNG): a few loops and a flourish drawn from the code."""
    from PIL import Image, ImageDraw

    rng = random.Random(_seed(code))
    width, height = SIGNATURE_SIZE
    image = Image.new("RGB", SIGNATURE_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    loops = rng.randint(4, 7)
    amplitude, drift = rng.uniform(28, 46), rng.uniform(-20, 20)
    phase, wobble = rng.uniform(0, math.tau), rng.uniform(1.5, 3.5)
    points = []
    for step in range(400):
        t = step / 399
        x = 50 + (width - 110) * t + 22 * math.sin(math.tau * loops * t + phase)
        y = height / 2 + drift * (t - 0.5) - amplitude * math.cos(math.tau * loops * t + phase) \
            * (0.6 + 0.4 * math.sin(math.tau * wobble * t))
        points.append((x, y))
    draw.line(points, fill=INK, width=4, joint="curve")
    start = rng.uniform(0.15, 0.35)  # the flourish under the name
    draw.line([(width * start, height - 42), (width * 0.9, height - 52 - rng.uniform(0, 14))], fill=INK, width=3)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


class EphotoStandIn(ThreadingHTTPServer):
    """The stand-in server; `served` lists the paths it answered (the tests count the operator's calls)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, _Handler)
        self.served: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, path: str) -> None:
        with self._lock:
            self.served.append(path)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client gone mid-answer (a timeout): nothing worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: EphotoStandIn

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.record(path)
        matched = _PATH.fullmatch(path)
        code, part = (matched.group(1), matched.group(2)) if matched else ("", "")
        if not matched or not _CODE.fullmatch(code) or code.startswith(UNKNOWN_PREFIX):
            self._answer(404, "application/json", json.dumps({"erreur": "code ePhoto inconnu"}).encode())
        elif code.startswith(FAILING_PREFIX):
            self._answer(503, "application/json", json.dumps({"erreur": "service indisponible"}).encode())
        elif part == "photo":
            self._answer(200, "image/jpeg", portrait(code))
        else:
            self._answer(200, "image/png", signature(code))

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # paths hold the codes
        pass


def build_ephoto_server(host: str, port: int) -> EphotoStandIn:
    return EphotoStandIn((host, port))
