"""Checks an uploaded supporting document (identity proof, proof of address, certificate...) once
its bytes are in S3, before anyone opens it. The bytes come from the internet: they are hostile
until proven otherwise, whatever the browser declared.

`check_document` is pure (bytes in, verdict out; no AWS, no I/O) and returns either `Accepted`,
with the content to keep, or `Refused`, with a stable `code` and a French `reason` that tells the
person what to do. In order:

1. Size: empty, under `min_size`, over `max_size`. The bytes given are what is measured, never a
   size written inside the file; the worker also compares `len(data)` with S3's own object size
   (ContentLength of the GET) before calling this, so a short read cannot pass for a small file.
2. Type, from the magic bytes, which must equal the declared content type: JPEG `FF D8 FF` and PNG's
   8-byte signature at offset 0 (decoders need them there); PDF `%PDF-` anywhere within the
   first 1024 bytes, the window Acrobat tolerates (some scanners and mail gateways
   prepend a few bytes), so that what we accept is what a reader opens. Image signatures are tried
   first: a file that starts as a JPEG is a JPEG, never a PDF. Anything else is unsupported.
3. Images are re-encoded from their pixels, which is the only way to be sure nothing rides along:
   EXIF (GPS position, camera serial number), XMP, ICC profiles, comments, PNG text chunks and
   whatever was appended after the image end are dropped. Before a single pixel is decoded, the
   dimensions are read from the header (Pillow's lazy `Image.open`) and width x height is held
   to `max_pixels`: a 50 KB file can declare 50000 x 50000 pixels and ask for gigabytes
   (decompression bomb); Pillow's own DecompressionBombError/Warning are refused the same way.
   Decoding then must succeed completely (truncated or corrupt: refused); the decoded size must
   be the header's; the EXIF orientation is applied so the stored image is upright without its
   EXIF; JPEG stays JPEG (quality 90; CMYK and other modes become RGB, greyscale stays greyscale)
   and PNG stays PNG (alpha, palette and transparency kept). Memory is about 4 bytes per pixel, up
   to twice that while rotating: `max_pixels` sizes the worker. The re-encoded file may be
   somewhat larger than the upload; it is not held to `max_size` again.
   Relies on Pillow's default `ImageFile.LOAD_TRUNCATED_IMAGES = False`, and turns the bomb
   warning into an error with `warnings.catch_warnings`: call from one thread at a time (the
   Lambda worker does).
4. PDFs are kept as they are (re-rendering would need a PDF engine) but refused when
   - encrypted (`/Encrypt`, which lives in a trailer or cross-reference stream dictionary, matched
     anywhere: the name is too long to occur by chance): we could not look inside its streams,
     and agents could not open it without the password. Owner-password-only files (no password
     to open, restricted printing or copying) are refused too;
   - active: JavaScript (`/JavaScript`, `/JS`), `/Launch` actions, embedded files
     (`/EmbeddedFile(s)`), XFA forms, `/RichMedia`. An `/OpenAction` or `/AA` running JavaScript
     is caught by its `/S /JavaScript` and `/JS`; a plain `/OpenAction` to a page (fpdf2 writes
     one) is fine. Names are compared after decoding their `#xx` escapes (`/J#53` is `/JS`), as
     readers do. The raw bytes are scanned, and so are the inflated contents of object streams
     (dictionaries having `/Type /ObjStm`, `/First` or `/N`), where a modern PDF keeps most of its
     dictionaries and where attackers hide `/JS`. Object streams must be FlateDecode (without
     predictor) or unfiltered; any other filter is refused as unreadable rather than left unseen.
     Inflating stops at 50 MB out in all (a zlib bomb) and at the file's size in (object streams
     do not overlap; crafted ones running on to the end of the file would otherwise make this
     quadratic); either, or a zlib error, is refused as unreadable. Other streams (page
     contents, images, fonts) are not inflated: readers never parse dictionaries from them, and
     inflated scans can legitimately reach hundreds of MB.
     The long names are matched anywhere in the file. `/JS` followed by a delimiter occurs by
     chance about once per 270 MB of compressed or JPEG data (one 10 MB scan in 27 would be
     refused), so it is matched outside stream payloads and inside object streams only; a
     JavaScript action also needs `/S /JavaScript`, which is matched everywhere. Not refused:
     links (`/URI`, `/GoToR`), `/SubmitForm`. PDF forms that validate their fields with
     JavaScript (some CERFA) are refused; the message says to print them to PDF.
   - unreadable: no `%%EOF` in the last 1024 bytes (truncated upload; the window readers search
     for the trailer), no page at all, or an object stream that cannot be inflated.
   `pages` is a rough count: page dictionaries (`/Type /Page`, not `/Pages` nor `/PageLabel`,
   whitespace and comments tolerated), counted once per object number so that an incremental
   update rewriting a page does not count it twice. Pages deleted by an update still count.
   This is not a PDF parser: it refuses what it cannot vouch for and does not promise that the
   document renders.

Pillow is imported inside the image path only: the API function imports this module (for the
types and codes) and must not pay for Pillow at import.
"""
from __future__ import annotations

import io
import re
import warnings
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
ACCEPTED_TYPES = {JPEG, PNG, PDF}

KB = 1024
MB = 1024 * KB
PDF_HEADER_WINDOW = 1024  # "%PDF-" must be within the first 1024 bytes
PDF_EOF_WINDOW = 1024  # "%%EOF" must be in the last 1024 bytes
PDF_MAX_INFLATED = 50 * MB  # object streams, all together
JPEG_QUALITY = 90
# The most pixels an image may have: a 40-megapixel phone photo or an A4 scanned at 600 dpi (35 MP)
# passes. Its decoding is what sizes the checker function's memory (chalicelib/sizing.py, measured
# by bench/function_memory.py): raising it means measuring again.
DEFAULT_MAX_PIXELS = 40_000_000

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Accepted:
    """What to store: re-encoded pixels for an image, the original bytes for a PDF."""

    content: bytes
    content_type: str
    width: int | None
    height: int | None
    pages: int | None


@dataclass(frozen=True)
class Refused:
    """`code` is stable (for programs and metrics); `reason` is for the person who sent the file."""

    code: str
    reason: str


def check_document(data: bytes, declared_content_type: str, min_size: int, max_size: int,
                   max_pixels: int = DEFAULT_MAX_PIXELS) -> Accepted | Refused:
    """The verdict on an uploaded file; see the module docstring for what is checked."""
    size = len(data)
    if size == 0:
        return Refused("empty", "Le fichier reçu est vide : choisissez à nouveau le document, puis renvoyez-le.")
    if size < min_size:
        return Refused("too_small", f"Ce fichier est trop petit pour être lisible (moins de {_size(min_size)}) : "
                                    "numérisez ou photographiez à nouveau le document en entier et nettement, "
                                    "puis renvoyez-le.")
    if size > max_size:
        return Refused("too_large", f"Ce fichier dépasse la taille maximale de {_size(max_size)} : réduisez sa "
                                    "résolution ou enregistrez-le en PDF compressé, puis renvoyez-le.")

    declared = declared_content_type.split(";", 1)[0].strip().lower()
    actual = sniff(data)
    if actual is None or declared not in ACCEPTED_TYPES:
        return _unsupported(data)
    if actual != declared:
        return Refused("type_mismatch",
                       f"Ce fichier est en réalité {_TYPE_LABELS[actual]} alors qu'il a été envoyé comme "
                       f"{_TYPE_LABELS[declared]} (mauvaise extension ?) : enregistrez-le à nouveau au format "
                       f"{_TYPE_NAMES[declared]} ou renommez-le avec l'extension {_EXTENSIONS[actual]}, "
                       "puis renvoyez-le.")
    if actual == PDF:
        return _check_pdf(data)
    return _check_image(data, actual, max_pixels)


def sniff(data: bytes) -> str | None:
    """The content type the magic bytes say, among the accepted ones; None for anything else."""
    if data.startswith(_JPEG_MAGIC):
        return JPEG
    if data.startswith(_PNG_MAGIC):
        return PNG
    if data.find(b"%PDF-", 0, PDF_HEADER_WINDOW) >= 0:
        return PDF
    return None


# --- messages -----------------------------------------------------------------------------------

_TYPE_NAMES = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF"}
_TYPE_LABELS = {JPEG: "une image JPEG", PNG: "une image PNG", PDF: "un PDF"}
_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}


def _size(n: int) -> str:
    """A size limit in French units (1 Ko = 1024 octets, as the rest of the project counts)."""
    if n >= MB:
        value, unit = n / MB, "Mo"
    elif n >= KB:
        value, unit = n / KB, "Ko"
    else:
        return f"{n} octets"
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text} {unit}"


def _unsupported(data: bytes) -> Refused:
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return Refused("unsupported_type",
                       "Ce fichier est une photo HEIC (format des iPhone), que nous n'acceptons pas : "
                       "réglez l'appareil photo sur « Le plus compatible » ou faites une capture d'écran de "
                       "la photo, puis envoyez-la au format JPEG, PNG ou PDF.")
    return Refused("unsupported_type",
                   "Ce fichier n'est pas une image JPEG ou PNG ni un PDF : envoyez une photo ou un scan au "
                   "format JPEG, PNG ou PDF.")


def _image_too_large(width: int | None = None, height: int | None = None, max_pixels: int | None = None) -> Refused:
    dims = f" ({width} × {height} pixels)" if width is not None and height is not None else ""
    limit = ""
    if max_pixels and max_pixels >= 1_000_000:
        limit = f" ; {max_pixels / 1_000_000:g} millions de pixels au plus".replace(".", ",")
    elif max_pixels:
        limit = f" ; {max_pixels} pixels au plus"
    return Refused("image_too_large",
                   f"Cette image est trop grande{dims}{limit} : réduisez sa définition (ou prenez la photo "
                   "en qualité normale), puis renvoyez-la.")


_IMAGE_UNREADABLE = Refused("image_unreadable",
                            "Cette image est illisible ou incomplète (fichier abîmé ou envoi interrompu) : "
                            "enregistrez-la à nouveau ou reprenez la photo, puis renvoyez-la.")
_PDF_UNREADABLE = Refused("pdf_unreadable",
                          "Ce PDF est illisible ou incomplet (fichier abîmé, envoi interrompu ou structure "
                          "anormale) : enregistrez-le ou numérisez-le à nouveau, puis renvoyez-le.")
_PDF_ENCRYPTED = Refused("pdf_encrypted",
                         "Ce PDF est protégé (mot de passe ou restrictions) et ne peut pas être vérifié : "
                         "enregistrez-en une copie sans protection, par exemple avec « Imprimer » puis "
                         "« Enregistrer au format PDF », puis renvoyez-la.")
_PDF_ACTIVE = Refused("pdf_active_content",
                      "Ce PDF contient des éléments actifs (JavaScript, action automatique, fichier joint ou "
                      "formulaire dynamique) que nous n'acceptons pas : faites « Imprimer » puis « Enregistrer "
                      "au format PDF » pour en obtenir une copie simple, ou numérisez le document, puis "
                      "renvoyez-la.")


# --- images -------------------------------------------------------------------------------------

_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def _check_image(data: bytes, content_type: str, max_pixels: int) -> Accepted | Refused:
    from PIL import Image, ImageOps

    fmt = _TYPE_NAMES[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                # Lazy: only the header has been read so far.
                width, height = im.size
                if width < 1 or height < 1:
                    return _IMAGE_UNREADABLE
                if width * height > max_pixels:
                    return _image_too_large(width, height, max_pixels)
                im.load()
                if im.size != (width, height):
                    return _IMAGE_UNREADABLE
                try:
                    ImageOps.exif_transpose(im, in_place=True)
                except Exception:  # noqa: BLE001 - a malformed EXIF block: keep the pixels as stored
                    pass
                out = _clean(im, fmt)
                encoded = io.BytesIO()
                out.image.save(encoded, fmt, **out.options)
                return Accepted(encoded.getvalue(), content_type, out.image.width, out.image.height, None)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _image_too_large(max_pixels=max_pixels)
    except Exception:  # noqa: BLE001 - hostile input: any decoder failure is an unreadable image
        return _IMAGE_UNREADABLE


@dataclass
class _Clean:
    image: Any  # PIL.Image.Image, not imported at module level
    options: dict[str, Any]


def _clean(im, fmt: str) -> _Clean:
    """The image to encode, in a mode the format keeps, with no metadata left in `info` (Pillow's
    encoders read the comment, the ICC profile and the transparency from it)."""
    transparency = im.info.get("transparency")
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        out = im if im.mode in ("L", "RGB") else im.convert("RGB")
        options["quality"] = JPEG_QUALITY
    else:
        if im.mode in _PNG_MODES:
            out = im
            if transparency is not None and im.mode in ("1", "L", "P", "RGB", "I", "I;16"):
                options["transparency"] = transparency
        else:  # PA, LAB, CMYK, F...
            out = im.convert("RGBA")
    out.info = {}
    return _Clean(out, options)


# --- PDF ----------------------------------------------------------------------------------------

_WS = rb"\x00\t\n\x0c\r "
_REGULAR = rb"[^" + _WS + rb"()<>\[\]{}/%]"  # a character that continues a name
_END = rb"(?!" + _REGULAR + rb")"  # the name ends here
_ESCAPED_NAME = re.compile(rb"/" + _REGULAR + rb"*#" + _REGULAR + rb"*")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_ENCRYPT = re.compile(rb"/Encrypt" + _END)
_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|XFA|RichMedia)" + _END)
_JS_KEY = re.compile(rb"/JS" + _END)
# Whitespace and comments. A comment must end with an EOL within 200 bytes: an unbounded one would
# rescan to the end of the file from every "/Type" (quadratic on a hostile file).
_GAP = rb"(?:[" + _WS + rb"]|%[^\r\n]{0,200}[\r\n])*"
_PAGE = re.compile(rb"/Type" + _GAP + rb"/Page" + _END)
_OBJ_HEADER = re.compile(rb"(?<![0-9])([0-9]{1,10})[" + _WS + rb"]+([0-9]{1,10})[" + _WS + rb"]+obj" + _END)
_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_OBJSTM_KEYS = re.compile(rb"/Type" + _GAP + rb"/ObjStm" + _END + rb"|/First" + _END + rb"|/N" + _END)
_FLATE = re.compile(rb"/FlateDecode" + _END)
_OTHER_FILTERS = re.compile(rb"/(?:ASCIIHexDecode|ASCII85Decode|LZWDecode|RunLengthDecode|CCITTFaxDecode|"
                            rb"JBIG2Decode|DCTDecode|JPXDecode|Crypt|AHx|A85|LZW|RL|CCF|DCT|Fl)" + _END)
_PREDICTOR = re.compile(rb"/Predictor" + _GAP + rb"([0-9]{1,10})")
_FIRST = re.compile(rb"/First" + _GAP + rb"([0-9]{1,10})")
_INT = re.compile(rb"[0-9]{1,10}")


class _Unreadable(Exception):
    pass


def _check_pdf(data: bytes) -> Accepted | Refused:
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        return _PDF_UNREADABLE
    whole = _decode_names(data)
    if _ENCRYPT.search(whole):
        return _PDF_ENCRYPTED
    if _ACTIVE.search(whole):
        return _PDF_ACTIVE
    del whole
    try:
        outside, object_streams = _split_streams(data)
    except _Unreadable:
        return _PDF_UNREADABLE
    if _JS_KEY.search(outside):
        return _PDF_ACTIVE
    for _first, text in object_streams:
        if _ACTIVE.search(text) or _JS_KEY.search(text):
            return _PDF_ACTIVE
    pages = _count_pages(outside, object_streams)
    if pages == 0:
        return _PDF_UNREADABLE
    return Accepted(data, PDF, None, None, pages)


def _decode_names(text: bytes) -> bytes:
    """`text` with the `#xx` escapes of its names decoded once, as a reader does (`/J#53` -> `/JS`)."""
    if b"#" not in text:
        return text
    return _ESCAPED_NAME.sub(lambda m: _HEX_ESCAPE.sub(lambda h: bytes((int(h[1], 16),)), m[0]), text)


def _split_streams(data: bytes) -> tuple[bytes, list[tuple[int | None, bytes]]]:
    """(The file outside stream payloads, names decoded; the contents of its object streams, names
    decoded, each with its /First). A payload runs from the `stream` keyword to the next
    `endstream`; an object stream is inflated from its start up to the end of its zlib data, past
    any `endstream` in between, so it is never shorter than what a reader inflates."""
    outside: list[bytes] = []
    object_streams: list[tuple[int | None, bytes]] = []
    inflated = consumed = 0
    view = memoryview(data)
    pos = 0
    for_search = 0
    while (m := _STREAM.search(data, for_search)) is not None:
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        dict_from = data.rfind(b"obj", pos, m.start())
        head = _decode_names(data[max(dict_from, pos):m.start()])
        outside.append(data[pos:start])
        if _OBJSTM_KEYS.search(head):
            predictor = _PREDICTOR.search(head)
            if _OTHER_FILTERS.search(head) or (predictor and int(predictor[1]) > 1):
                raise _Unreadable
            first = _FIRST.search(head)
            if _FLATE.search(head):
                # Object streams do not overlap: together they cannot hold more zlib data than the
                # file. Without that bound, crafted streams that each run on to the end of the
                # file would make this loop quadratic.
                text, used = _inflate(view[start:], PDF_MAX_INFLATED - inflated, len(data) - consumed)
                consumed += used
            else:
                text = data[start:end]
            inflated += len(text)
            object_streams.append((int(first[1]) if first else None, _decode_names(text)))
        pos = end
        for_search = end + len(b"endstream")
    outside.append(data[pos:])
    return _decode_names(b" ".join(outside)), object_streams


def _inflate(source: memoryview, max_out: int, max_in: int) -> tuple[bytes, int]:
    """The zlib data at the start of `source`, inflated, and how many bytes of it were consumed.
    `_Unreadable` on a zlib error, past `max_out` bytes out or past `max_in` bytes in. Fed in
    small pieces so that neither the input nor the output is copied whole."""
    inflator = zlib.decompressobj()
    chunks: list[bytes] = []
    total = 0
    step = 64 * KB
    try:
        for offset in range(0, len(source), step):
            piece: bytes | memoryview = source[offset:offset + step]
            fed = offset + len(piece)
            while piece:
                out = inflator.decompress(piece, min(MB, max_out - total + 1))
                total += len(out)
                if total > max_out:
                    raise _Unreadable
                chunks.append(out)
                consumed = fed - len(inflator.unconsumed_tail) - len(inflator.unused_data)
                if consumed > max_in:
                    raise _Unreadable
                if inflator.eof:
                    return b"".join(chunks), consumed
                piece = inflator.unconsumed_tail
        out = inflator.flush()
    except zlib.error as exc:
        raise _Unreadable from exc
    if total + len(out) > max_out:
        raise _Unreadable
    chunks.append(out)
    return b"".join(chunks), len(source)  # truncated zlib data: what a reader would get too


def _count_pages(outside: bytes, object_streams: list[tuple[int | None, bytes]]) -> int:
    """Page dictionaries, once per object number (see the module docstring)."""
    found: set[object] = set()
    headers = list(_OBJ_HEADER.finditer(outside))
    starts = [h.start() for h in headers]
    for page in _PAGE.finditer(outside):
        i = bisect_right(starts, page.start()) - 1
        found.add((int(headers[i][1]), int(headers[i][2])) if i >= 0 else ("outside", page.start()))
    for n, (first, text) in enumerate(object_streams):
        offsets: list[int] = []
        numbers: list[int] = []
        if first is not None:
            ints = [int(x) for x in _INT.findall(text, 0, first)]
            pairs = sorted(zip(ints[1::2], ints[0::2]))  # (offset, object number)
            offsets = [first + offset for offset, _ in pairs]
            numbers = [number for _, number in pairs]
        for page in _PAGE.finditer(text):
            i = bisect_right(offsets, page.start()) - 1
            found.add((numbers[i], 0) if i >= 0 else ("stream", n, page.start()))
    return len(found)
