"""Specimen document images for the local stack (dev only).

The local stack seeds demo cases with document pages, and remote images cannot be fetched
offline, so this module draws plausible-looking specimens with Pillow alone: a coloured header
band, a "SPECIMEN" watermark, labelled fields, a photo placeholder for identity documents, a
machine-readable zone or barcode on the back, and address blocks with tables for A4-like pages.
Output is deterministic: the same arguments always give the same PNG bytes; any variety
(dates, amounts) is derived from a hash of the arguments.
"""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, ImageDraw, ImageFont

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_RGB = tuple[int, int, int]

# kind -> (title, header colour, identity document?)
_KINDS: dict[str, tuple[str, _RGB, bool]] = {
    "passport": ("PASSPORT", (24, 52, 110), True),
    "drivers_license": ("DRIVING LICENCE", (168, 44, 60), True),
    "id_card": ("IDENTITY CARD", (22, 112, 92), True),
    "utility_bill": ("UTILITY BILL", (214, 120, 20), False),
    "certificate_of_incorporation": ("CERTIFICATE OF INCORPORATION", (92, 60, 140), False),
    "bank_statement": ("BANK STATEMENT", (18, 96, 150), False),
}
KINDS: tuple[str, ...] = tuple(_KINDS)
_DEFAULT_SIZE = (1000, 630)
_INK: _RGB = (30, 30, 40)
_MUTED: _RGB = (110, 110, 125)


def _font(size: int) -> _Font:
    return ImageFont.load_default(size=size)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(first_year, last_year)}"


def _watermark(img: Image.Image) -> Image.Image:
    w, h = img.size
    d = int((w * w + h * h) ** 0.5)  # draw on a square canvas so the rotation does not clip
    layer = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    font = _font(d // 8)
    ImageDraw.Draw(layer).text(
        (d / 2, d / 2), "SPECIMEN", font=font, fill=(200, 30, 30, 60), anchor="mm"
    )
    x0, y0 = (d - w) // 2, (d - h) // 2
    layer = layer.rotate(25 if w > h else 55).crop((x0, y0, x0 + w, y0 + h))
    base = img.convert("RGBA")
    base.alpha_composite(layer)
    return base.convert("RGB")


def _header(
    draw: ImageDraw.ImageDraw, w: int, h: int, title: str, country: str, colour: _RGB
) -> int:
    band, size = max(50, min(w, h) // 8), max(50, min(w, h) // 8) // 2
    while size > 10 and _font(size).getlength(f"{title}   {country}") > w - 48:
        size -= 2
    draw.rectangle((0, 0, w, band), fill=colour)
    draw.text((24, band / 2), title, font=_font(size), fill="white", anchor="lm")
    draw.text((w - 24, band / 2), country, font=_font(size), fill="white", anchor="rm")
    return band


def _field(draw: ImageDraw.ImageDraw, xy: tuple[int, int], label: str, value: str, s: int) -> None:
    draw.text(xy, label.upper(), font=_font(s * 2 // 3), fill=_MUTED)
    draw.text((xy[0], xy[1] + s), value, font=_font(s), fill=_INK)


def _identity(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    top: int,
    kind: str,
    side: str,
    name: str,
    number: str,
    country: str,
    rng: random.Random,
) -> None:
    s = max(14, h // 26)
    if side == "back":
        if kind == "drivers_license":
            x, bar_top = 40, top + 30
            while x < w - 40:
                bw = rng.choice((2, 3, 5, 7))
                draw.rectangle((x, bar_top, x + bw, bar_top + h // 4), fill=_INK)
                x += bw + rng.choice((2, 4, 6))
            for i, cat in enumerate(("AM", "A", "B", "BE", "C1")):
                y = bar_top + h // 4 + 30 + i * (s + 8)
                valid = _date(rng, 2015, 2024) if cat in {"AM", "B"} else "-"
                draw.text((40, y), f"{cat:<4} {valid}", font=_font(s), fill=_INK)
        else:
            _field(draw, (40, top + 30), "Address", f"{rng.randint(1, 99)} Musterstrasse", s)
            _field(
                draw,
                (40, top + 30 + 3 * s),
                "Authority",
                f"Office {country}-{rng.randint(10, 99)}",
                s,
            )
            given, _, surname = name.upper().rpartition(" ")
            lines = [
                f"{kind[0].upper()}<{country}{surname}<<{given}".replace(" ", "<"),
                f"{number}<{country}{rng.randint(100000, 999999)}<<<<<{rng.randint(0, 9)}",
            ]
            zone_h = int(s * 1.4) * len(lines) + 24
            draw.rectangle((4, h - zone_h - 20, w - 5, h - 20), fill=(236, 236, 228))
            mrz_font = _font(s)
            per_line = max(1, int((w - 56) / mrz_font.getlength("<")))
            for i, line in enumerate(lines):
                text = line[:per_line].ljust(per_line, "<")
                draw.text((24, h - zone_h - 8 + i * int(s * 1.4)), text, font=mrz_font, fill=_INK)
        return
    px, py, pw, ph = 40, top + 30, w // 4, h - top - 80
    draw.rectangle((px, py, px + pw, py + ph), fill=(222, 226, 232), outline=_MUTED, width=2)
    cx, r = px + pw // 2, pw // 5
    draw.ellipse((cx - r, py + ph // 4 - r, cx + r, py + ph // 4 + r), fill=(150, 156, 168))
    draw.pieslice(
        (px + pw // 8, py + ph // 2, px + pw * 7 // 8, py + ph * 3 // 2),
        180,
        360,
        fill=(150, 156, 168),
    )
    fields = [
        ("Name", name),
        ("Document no.", number),
        ("Nationality", country),
        ("Date of birth", _date(rng, 1950, 2004)),
        ("Date of issue", _date(rng, 2016, 2023)),
        ("Date of expiry", _date(rng, 2027, 2034)),
    ]
    fx, col_w = px + pw + 40, (w - px - pw - 80) // 2
    for i, (label, value) in enumerate(fields):
        _field(draw, (fx + (i % 2) * col_w, py + (i // 2) * int(s * 2.6)), label, value, s)
    draw.text((fx, py + ph - s), "Signature: " + name, font=_font(s), fill=_MUTED)


def _page(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    top: int,
    kind: str,
    name: str,
    number: str,
    country: str,
    rng: random.Random,
) -> None:
    s = max(14, w // 50)
    y = top + 40
    address = [name, f"{rng.randint(1, 199)} Sample Street", f"{rng.randint(10000, 99999)} Town"]
    for i, line in enumerate([*address, country]):
        draw.text((50, y + i * (s + 6)), line, font=_font(s), fill=_INK)
    _field(draw, (w // 2 + 40, y), "Reference", number, s)
    _field(draw, (w // 2 + 40, y + 3 * s), "Date", _date(rng, 2024, 2025), s)
    y += 6 * (s + 6)
    if kind == "certificate_of_incorporation":
        draw.text((w / 2, y), "This is to certify that", font=_font(s), fill=_INK, anchor="mm")
        draw.text(
            (w / 2, y + 2.5 * s), f"{name.upper()} LTD", font=_font(s * 2), fill=_INK, anchor="mm"
        )
        y += 5 * s
        rows = [
            ("Company number", number),
            ("Jurisdiction", country),
            ("Incorporated", _date(rng, 1990, 2023)),
            ("Type", "Private limited company"),
        ]
    elif kind == "utility_bill":
        rows = [
            (item, f"{rng.uniform(5, 150):.2f} EUR")
            for item in ("Electricity", "Gas", "Water", "Standing charge", "VAT")
        ]
    else:
        balance, rows = rng.uniform(500, 5000), []
        for _ in range(8):
            amount = rng.uniform(-400, 300)
            balance += amount
            rows.append((f"{_date(rng, 2025, 2025)}  Transfer", f"{amount:+.2f}  {balance:.2f}"))
    draw.rectangle((50, y, w - 50, y + s + 16), fill=(232, 234, 240))
    left_head, right_head = {
        "certificate_of_incorporation": ("Particulars", "Detail"),
        "utility_bill": ("Charge", "Amount"),
    }.get(kind, ("Date / description", "Amount / balance"))
    draw.text((60, y + 8), left_head, font=_font(s), fill=_INK)
    draw.text((w - 60, y + 8), right_head, font=_font(s), fill=_INK, anchor="ra")
    for i, (left, right) in enumerate(rows, start=1):
        ry = y + 8 + i * (s + 18)
        draw.text((60, ry), left, font=_font(s), fill=_INK)
        draw.text((w - 60, ry), right, font=_font(s), fill=_INK, anchor="ra")
        draw.line((50, ry + s + 8, w - 50, ry + s + 8), fill=(210, 212, 220))


def render_document_page(
    kind: str,
    *,
    holder_name: str,
    side: str = "front",
    number: str = "X1234567",
    country: str = "DE",
    width: int = 1000,
    height: int = 630,
) -> bytes:
    """Draw one specimen page of a `kind` document and return it as PNG bytes."""
    if kind not in _KINDS:
        raise ValueError(f"unknown document kind {kind!r}; known kinds: {', '.join(_KINDS)}")
    title, colour, identity = _KINDS[kind]
    if not identity and (width, height) == _DEFAULT_SIZE:
        width, height = height, width
    rng = _rng(kind, holder_name, side, number, country, width, height)
    img = Image.new("RGB", (width, height), (250, 248, 240) if identity else "white")
    draw = ImageDraw.Draw(img)
    top = _header(draw, width, height, title, country, colour)
    if identity:
        draw.rectangle((0, 0, width - 1, height - 1), outline=colour, width=4)
        _identity(draw, width, height, top, kind, side, holder_name, number, country, rng)
    else:
        _page(draw, width, height, top, kind, holder_name, number, country, rng)
    draw.text(
        (width - 20, height - 12), f"{side} · {kind}", font=_font(12), fill=_MUTED, anchor="rd"
    )
    buffer = io.BytesIO()
    _watermark(img).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
