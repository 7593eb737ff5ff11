"""What a page's bytes are: sniffed from magic numbers, never trusted from the sender alone."""

from __future__ import annotations

ALLOWED_PAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "application/pdf"}
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def sniff_content_type(content: bytes) -> str | None:
    """The allowed content type the bytes are, or None."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    return None
