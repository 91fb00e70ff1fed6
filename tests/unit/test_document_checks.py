"""chalicelib.documents.checks.check_document against files made here: images by Pillow, PDFs by
fpdf2 or written by hand (with valid cross-reference tables or streams), hostile files by hand:
forged headers, hidden or escaped JavaScript, object streams, zlib bombs."""
from __future__ import annotations

import io
import random
import re
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageFile, ImageOps, PngImagePlugin

from chalicelib.documents.checks import ACCEPTED_TYPES, Accepted, Refused, check_document

KB, MB = 1024, 1024 * 1024
JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"


def check(data: bytes, content_type: str, **kwargs) -> Accepted | Refused:
    kwargs.setdefault("min_size", 100)
    kwargs.setdefault("max_size", 5 * MB)
    return check_document(data, content_type, **kwargs)


def refused(result, code: str) -> Refused:
    assert isinstance(result, Refused), result
    assert result.code == code, result
    assert result.reason and " : " in result.reason  # what is wrong : what to do
    return result


# --- image fixtures -----------------------------------------------------------------------------

def noisy(size=(120, 80), mode="RGB", seed=1) -> Image.Image:
    """Random pixels: big enough files, and a truncation always hits pixel data."""
    bands = len(mode)
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * bands))


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "CameraModel-X"  # Model
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-424242"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 7.0)
    gps[0x12] = "WGS-84-SECRET"  # GPSMapDatum
    return exif


def reopen(result: Accepted) -> Image.Image:
    im = Image.open(io.BytesIO(result.content))
    im.load()
    return im


def png_with_size(width: int, height: int) -> bytes:
    """A valid 16 x 16 PNG whose IHDR then claims width x height (CRC recomputed): a few hundred
    bytes asking for width x height x 3 bytes once decoded."""
    data = bytearray(encode(Image.new("RGB", (16, 16), "black"), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_with_size(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (16, 16), "black"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def load_spy(monkeypatch):
    """Records every pixel decode (ImageFile.load, which JPEG and PNG inherit)."""
    calls = []
    original = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def traced_peak(function):
    """(result, peak bytes allocated through Python's allocators while it ran)."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- PDF fixtures -------------------------------------------------------------------------------

def fpdf_document(pages: int = 2, password: str | None = None) -> bytes:
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password=password)
    pdf.set_font("helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Justificatif de domicile - page {n + 1}")
    return bytes(pdf.output())


def append_update(pdf: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update, as an editor (or an attacker) writes one: new versions of objects,
    a cross-reference section for them, a trailer pointing back to the previous one."""
    prev = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf)[1])
    size = max(int(re.findall(rb"/Size (\d+)", pdf)[-1]), max(objects) + 1)
    root = re.findall(rb"/Root (\d+ \d+ R)", pdf)[-1]
    body = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    offsets = {}
    for number, obj in sorted(objects.items()):
        offsets[number] = len(body)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref_at = len(body)
    body += b"xref\n" + b"".join(b"%d 1\n%010d 00000 n \n" % (n, offsets[n]) for n in sorted(offsets))
    body += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, prev, xref_at)
    return body


def object_stream(objects: dict[int, bytes], filters: bytes = b"/FlateDecode") -> bytes:
    """The body of an object stream (/Type /ObjStm) holding `objects`."""
    header, content = b"", b""
    for number, obj in objects.items():
        header += b"%d %d " % (number, len(content))
        content += obj + b"\n"
    first = len(header)
    raw = header + content
    payload = zlib.compress(raw) if filters == b"/FlateDecode" else raw.hex().encode() + b">"
    return (b"<< /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n%s\nendstream"
            % (len(objects), first, filters, len(payload), payload))


def pdf15(top: dict[int, bytes], compressed: dict[int, bytes] | None = None, objstm: bytes | None = None) -> bytes:
    """A PDF 1.5 written by hand: `top` objects, `compressed` ones in an object stream (or the
    given object stream body), and a cross-reference stream listing them all. Object 1 is the
    catalog."""
    compressed = compressed or {}
    stream_number = max([*top, *compressed]) + 1
    xref_number = stream_number + 1
    body = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    entries = {0: (0, 0, 65535)}
    for number, obj in sorted(top.items()):
        entries[number] = (1, len(body), 0)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    if compressed or objstm:
        entries[stream_number] = (1, len(body), 0)
        body += b"%d 0 obj\n%s\nendobj\n" % (stream_number, objstm or object_stream(compressed))
        for index, number in enumerate(compressed):
            entries[number] = (2, stream_number, index)
    entries[xref_number] = (1, len(body), 0)
    rows = b"".join(struct.pack(">BIH", *entries.get(n, (0, 0, 0))) for n in range(xref_number + 1))
    body += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\n"
             b"endobj\nstartxref\n%d\n%%%%EOF\n" % (xref_number, xref_number + 1, len(rows), rows, entries[xref_number][1]))
    return body


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def page_tree(count: int, first_page: int = 3) -> dict[int, bytes]:
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(count))
    objects = {2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count)}
    for n in range(count):
        objects[first_page + n] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    return objects


# --- size and type ------------------------------------------------------------------------------

def test_public_constants():
    assert ACCEPTED_TYPES == {JPEG, PNG, PDF}


def test_empty_file():
    refused(check(b"", PDF), "empty")


def test_too_small_says_the_limit_in_ko():
    result = refused(check_document(fpdf_document(), PDF, min_size=10 * KB, max_size=5 * MB), "too_small")
    assert "10 Ko" in result.reason


def test_too_large_says_the_limit_in_ko_or_mo():
    result = refused(check_document(encode(noisy((200, 200)), "PNG"), PNG, min_size=10, max_size=100 * KB),
                     "too_large")
    assert "100 Ko" in result.reason
    result = refused(check_document(b"%PDF-" + bytes(5 * MB), PDF, min_size=10, max_size=5 * MB), "too_large")
    assert "5 Mo" in result.reason
    result = refused(check_document(b"%PDF-" + bytes(2 * MB), PDF, min_size=10, max_size=MB + MB // 2), "too_large")
    assert "1,5 Mo" in result.reason


def test_png_declared_as_jpeg_is_a_mismatch():
    result = refused(check(encode(noisy(), "PNG"), JPEG), "type_mismatch")
    assert "PNG" in result.reason and ".png" in result.reason


def test_jpeg_declared_as_pdf_is_a_mismatch():
    refused(check(encode(noisy(), "JPEG"), PDF), "type_mismatch")


def test_pdf_declared_as_png_is_a_mismatch():
    refused(check(fpdf_document(), PNG), "type_mismatch")


def test_declared_type_parameters_and_case_are_ignored():
    assert isinstance(check(fpdf_document(), "Application/PDF; charset=binary"), Accepted)


@pytest.mark.parametrize("data", [
    random.Random(7).randbytes(20 * KB),
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"This program cannot be run in DOS mode" + b"\x00" * 4000,
    b"GIF89a" + b"\x00" * 2000,
    b"<html><script>alert(1)</script></html>" + b" " * 2000,
], ids=["random", "exe", "gif", "html"])
@pytest.mark.parametrize("declared", [JPEG, PNG, PDF])
def test_other_files_are_unsupported(data, declared):
    result = refused(check(data, declared), "unsupported_type")
    assert "JPEG, PNG ou PDF" in result.reason


def test_heic_gets_a_hint():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 2000
    assert "iPhone" in refused(check(heic, JPEG), "unsupported_type").reason


def test_undeclared_type_is_unsupported_even_for_a_real_jpeg():
    refused(check(encode(noisy(), "JPEG"), "image/gif"), "unsupported_type")


def test_pdf_header_window_is_1024_bytes():
    pdf = fpdf_document()
    assert isinstance(check(b"\r\n" * 400 + pdf, PDF), Accepted)  # 800 bytes before %PDF-
    refused(check(b" " * 1024 + pdf, PDF), "unsupported_type")


# --- images -------------------------------------------------------------------------------------

def test_jpeg_loses_exif_gps_icc_comment_and_keeps_its_size():
    original = encode(noisy((120, 80)), "JPEG", quality=95, exif=exif_with_gps(),
                      icc_profile=b"FAKE-ICC-PROFILE" * 20, comment=b"secret comment")
    source = Image.open(io.BytesIO(original))
    assert source.getexif().get_ifd(0x8825)  # the fixture really has GPS data
    assert b"WGS-84-SECRET" in original and b"SERIAL-424242" in original and b"FAKE-ICC" in original

    result = check(original, JPEG)

    assert isinstance(result, Accepted)
    assert (result.content_type, result.width, result.height, result.pages) == (JPEG, 120, 80, None)
    assert result.content.startswith(b"\xff\xd8\xff") and result.content.endswith(b"\xff\xd9")
    clean = reopen(result)
    assert clean.format == "JPEG" and clean.size == (120, 80) and clean.mode == "RGB"
    assert len(clean.getexif()) == 0 and not clean.getexif().get_ifd(0x8825)
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(clean.info)
    for marker in (b"Exif\x00\x00", b"WGS-84-SECRET", b"SERIAL-424242", b"CameraModel-X", b"FAKE-ICC",
                   b"ICC_PROFILE", b"secret comment"):
        assert marker not in result.content


def test_exif_rotated_jpeg_comes_back_upright():
    # Stored 60 wide x 40 high, left half red; orientation 6: display rotated 90 degrees clockwise.
    stored = Image.new("RGB", (60, 40), "blue")
    stored.paste((255, 0, 0), (0, 0, 30, 40))
    original = encode(stored, "JPEG", quality=95, exif=exif_with_gps(orientation=6))
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(original)))  # what a viewer shows

    result = check(original, JPEG, min_size=10)

    assert isinstance(result, Accepted)
    assert (result.width, result.height) == (40, 60)
    clean = reopen(result)
    assert clean.size == (40, 60) and 0x0112 not in clean.getexif()
    # The stored left half (red) is now the top half.
    red, blue = clean.getpixel((20, 10)), clean.getpixel((20, 50))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60
    assert shown.getpixel((20, 10))[0] > 200


def test_png_loses_text_icc_and_trailing_bytes_and_keeps_its_pixels():
    pixels = noisy((90, 70))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text-chunk")
    info.add_text("Author", "secret-ztxt-chunk", zip=True)
    original = encode(pixels, "PNG", pnginfo=info, icc_profile=b"FAKE-ICC-PROFILE" * 20) + b"GARBAGE-AFTER-IEND" * 10
    assert b"tEXt" in original and b"iCCP" in original

    result = check(original, PNG)

    assert isinstance(result, Accepted)
    assert (result.content_type, result.width, result.height) == (PNG, 90, 70)
    assert result.content.endswith(b"IEND\xaeB`\x82")
    for marker in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"secret-text-chunk", b"GARBAGE-AFTER-IEND"):
        assert marker not in result.content
    clean = reopen(result)
    assert clean.format == "PNG" and clean.tobytes() == pixels.tobytes()
    assert not clean.text and "icc_profile" not in clean.info


def test_png_keeps_alpha():
    im = noisy((50, 40), "RGBA")
    result = check(encode(im, "PNG"), PNG)
    assert isinstance(result, Accepted)
    clean = reopen(result)
    assert clean.mode == "RGBA" and clean.tobytes() == im.tobytes()


def test_palette_png_keeps_its_transparency():
    im = Image.new("P", (64, 64), 0)
    im.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    im.paste(1, (0, 0, 32, 64))
    result = check(encode(im, "PNG", transparency=0), PNG, min_size=10)
    assert isinstance(result, Accepted)
    clean = reopen(result)
    assert clean.mode == "P" and clean.info.get("transparency") == 0
    assert clean.convert("RGBA").getpixel((48, 10))[3] == 0 and clean.convert("RGBA").getpixel((10, 10))[3] == 255


def test_cmyk_jpeg_becomes_rgb_jpeg():
    result = check(encode(noisy((64, 48), "CMYK"), "JPEG"), JPEG)
    assert isinstance(result, Accepted)
    clean = reopen(result)
    assert clean.format == "JPEG" and clean.mode == "RGB" and clean.size == (64, 48)


def test_greyscale_jpeg_stays_greyscale():
    clean = reopen(check(encode(noisy((64, 48), "L"), "JPEG"), JPEG))
    assert clean.mode == "L"


@pytest.mark.parametrize("fmt,declared", [("JPEG", JPEG), ("PNG", PNG)])
def test_truncated_image_is_unreadable(fmt, declared):
    data = encode(noisy((200, 150)), fmt)
    refused(check(data[: len(data) // 2], declared), "image_unreadable")


def test_corrupt_jpeg_is_unreadable():
    refused(check(b"\xff\xd8\xff\xe0" + random.Random(3).randbytes(5000), JPEG), "image_unreadable")


def test_png_with_a_broken_chunk_is_unreadable():
    data = bytearray(encode(noisy((200, 150)), "PNG"))
    data[40:60] = b"\x00" * 20
    refused(check(bytes(data), PNG), "image_unreadable")


@pytest.mark.parametrize("forge,declared", [(png_with_size, PNG), (jpeg_with_size, JPEG)])
def test_decompression_bomb_is_refused_from_the_header(forge, declared, load_spy):
    bomb = forge(8000, 8000)  # 64 Mpx: 192 MB once decoded, from a file of a few hundred bytes
    assert len(bomb) < 2 * KB

    result, peak = traced_peak(lambda: check(bomb, declared, min_size=10))

    assert "(8000 × 8000 pixels) ; 40 millions de pixels au plus" in refused(result, "image_too_large").reason
    assert load_spy == []  # no pixel was decoded: Pillow's buffers are C memory tracemalloc cannot see
    assert peak < 50 * MB


def test_pillow_bomb_error_is_refused(load_spy):
    # 2.5 Gpx: Pillow's own DecompressionBombError fires in Image.open, before our own check.
    result = check(png_with_size(50_000, 50_000), PNG, min_size=10)
    refused(result, "image_too_large")
    assert load_spy == []


def test_pillow_bomb_warning_is_refused_when_our_limit_is_higher(load_spy):
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS
    result = check(png_with_size(10_000, 10_000), PNG, min_size=10, max_pixels=10**12)
    refused(result, "image_too_large")
    assert load_spy == []


def test_max_pixels_is_a_parameter():
    data = encode(noisy((100, 100)), "PNG")
    refused(check(data, PNG, max_pixels=9_999), "image_too_large")
    assert isinstance(check(data, PNG, max_pixels=10_000), Accepted)


# --- PDF ----------------------------------------------------------------------------------------

def test_fpdf_document_is_accepted_as_is_with_its_pages():
    pdf = fpdf_document(pages=2)
    result = check(pdf, PDF)
    assert result == Accepted(pdf, PDF, None, None, 2)
    assert check(fpdf_document(pages=5), PDF).pages == 5


def test_open_action_javascript_in_the_catalog_is_refused():
    pdf = fpdf_document()
    catalog = re.search(rb"2 0 obj\n<<\n(.*?)>>\nendobj", pdf, re.S)[1]
    hostile = append_update(pdf, {2: b"<<\n" + catalog + b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n>>"})
    assert b"/OpenAction [3 0 R /FitH null]" in pdf and isinstance(check(pdf, PDF), Accepted)  # a plain one is fine
    refused(check(hostile, PDF), "pdf_active_content")


def test_escaped_names_are_decoded():
    pdf = fpdf_document()
    hostile = append_update(pdf, {2: b"<< /Type /Catalog /Pages 1 0 R /OpenAction << /S /J#61vaScript "
                                     b"/J#53 (app.alert\\(1\\)) >> >>"})
    assert b"/JavaScript" not in hostile and b"/JS" not in hostile
    refused(check(hostile, PDF), "pdf_active_content")


def test_a_js_key_alone_is_refused():
    pdf = fpdf_document()
    page = re.search(rb"3 0 obj\n<<\n(.*?)>>\nendobj", pdf, re.S)[1]
    hostile = append_update(pdf, {3: b"<<\n" + page + b"/AA << /O << /J#53 (app.alert\\(1\\)) >> >>\n>>"})
    refused(check(hostile, PDF), "pdf_active_content")


@pytest.mark.parametrize("entry", [
    b"/OpenAction << /S /Launch /F (cmd.exe) >>",
    b"/Names << /EmbeddedFiles 20 0 R >>",
    b"/AcroForm << /Fields [] /XFA 20 0 R >>",
    b"/OpenAction << /S /JavaScript /JS 20 0 R >>",
    b"/Names << /Java#53cript 20 0 R >>",
])
def test_active_content_is_refused(entry):
    pdf = fpdf_document()
    hostile = append_update(pdf, {2: b"<< /Type /Catalog /Pages 1 0 R " + entry + b" >>",
                                  20: b"<< /Length 4 >>\nstream\nabcd\nendstream"})
    refused(check(hostile, PDF), "pdf_active_content")


def test_rich_media_annotation_is_refused():
    pdf = fpdf_document()
    hostile = append_update(pdf, {20: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>"})
    refused(check(hostile, PDF), "pdf_active_content")


def test_javascript_hidden_in_an_object_stream_is_refused():
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 9 0 R >>", **page_tree(2)}
    compressed = {9: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"}
    hostile = pdf15(objects, compressed)
    assert b"JavaScript" not in hostile and b"/JS" not in hostile  # only inflating shows it
    refused(check(hostile, PDF), "pdf_active_content")


def test_escaped_js_key_in_an_object_stream_is_refused():
    hostile = pdf15(page_tree(1), {1: CATALOG[:-2] + b"/OpenAction << /J#53 (app.alert\\(1\\)) >> >>"})
    refused(check(hostile, PDF), "pdf_active_content")


def test_pages_inside_an_object_stream_are_counted():
    result = check(pdf15({}, {1: CATALOG, **page_tree(3)}), PDF)
    assert isinstance(result, Accepted) and result.pages == 3


def test_a_page_rewritten_by_an_update_counts_once():
    pdf = fpdf_document(pages=2)
    page = re.search(rb"3 0 obj\n<<\n(.*?)>>\nendobj", pdf, re.S)[1]
    updated = append_update(pdf, {3: b"<<\n" + page + b"/Rotate 90\n>>"})
    assert len(re.findall(rb"/Type /Page\b(?!s)", updated)) == 3
    assert check(updated, PDF).pages == 2


def test_page_count_ignores_pages_nodes_and_page_labels_and_tolerates_whitespace():
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R /PageLabels << /Nums [0 << /Type /PageLabel /S /D >>] >> >>",
               2: b"<< /Type/Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
               3: b"<< /Type/Page /Parent 2 0 R >>",
               4: b"<< /Type %comment\r\n  /Page\n/Parent 2 0 R >>"}
    assert check(pdf15(objects), PDF).pages == 2


def test_js_bytes_inside_binary_stream_data_are_not_javascript():
    # "/JS" followed by a delimiter happens by chance in compressed data; the reader never takes
    # a key from there. The long names would still be refused (see test_active_content_is_refused).
    pdf = fpdf_document()
    image = b"\x00\x17/JS (\x9c\x11/JS<" + random.Random(5).randbytes(3000)
    updated = append_update(pdf, {20: b"<< /Type /XObject /Subtype /Image /Width 10 /Height 100 /ColorSpace "
                                      b"/DeviceRGB /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream"
                                      % (len(image), image)})
    assert isinstance(check(updated, PDF), Accepted)


def test_benign_object_stream_is_accepted():
    result = check(pdf15({1: CATALOG, **page_tree(1)}, {20: b"<< /Producer (Scanner 3000) >>"}), PDF)
    assert isinstance(result, Accepted) and result.pages == 1


def test_encrypted_pdf_is_refused():
    pdf = fpdf_document(password="secret")
    assert b"/Encrypt" in pdf
    refused(check(pdf, PDF), "pdf_encrypted")


def test_pdf_without_eof_is_unreadable():
    pdf = fpdf_document()
    assert pdf.rstrip().endswith(b"%%EOF")
    refused(check(pdf.rstrip()[:-5], PDF), "pdf_unreadable")
    refused(check(pdf[: len(pdf) // 2], PDF), "pdf_unreadable")  # interrupted upload


def test_pdf_without_a_page_is_unreadable():
    refused(check(pdf15({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}), PDF),
            "pdf_unreadable")


def test_object_stream_with_a_filter_we_cannot_read_is_refused():
    hostile = pdf15({1: CATALOG, **page_tree(1)},
                    objstm=object_stream({9: b"<< /S /JavaScript /JS (x) >>"}, b"/ASCIIHexDecode"))
    refused(check(hostile, PDF), "pdf_unreadable")


def test_object_stream_with_broken_zlib_data_is_refused():
    broken = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 20 >>\nstream\n" + b"\x78\x9c" + b"\xff" * 18
    refused(check(pdf15({1: CATALOG, **page_tree(1)}, objstm=broken + b"\nendstream"), PDF), "pdf_unreadable")


def test_zlib_bomb_in_an_object_stream_is_refused_in_bounded_memory():
    deflate = zlib.compressobj(9)
    payload = deflate.compress(b"9 0 ") + b"".join(deflate.compress(bytes(MB)) for _ in range(200)) + deflate.flush()
    assert len(payload) < 300 * KB  # 200 MB of NULs, PDF whitespace
    bomb = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(payload), payload)
    hostile = pdf15({1: CATALOG, **page_tree(1)}, objstm=bomb)

    result, peak = traced_peak(lambda: check(hostile, PDF))

    refused(result, "pdf_unreadable")
    assert peak < 100 * MB


def test_importing_the_module_does_not_import_pillow():
    code = ("import sys; import chalicelib.documents.checks; "
            "assert not any(m == 'PIL' or m.startswith('PIL.') for m in sys.modules), 'PIL imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
