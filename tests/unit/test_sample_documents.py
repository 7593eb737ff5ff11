"""The dev stack's generated specimen document images."""

import io

import pytest
from PIL import Image

from local.sample_documents import KINDS, render_document_page

IDENTITY = ("passport", "drivers_license", "id_card")


def open_png(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_known_kinds():
    assert set(KINDS) == {
        "passport",
        "drivers_license",
        "id_card",
        "utility_bill",
        "certificate_of_incorporation",
        "bank_statement",
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("side", ["front", "back"])
def test_every_kind_renders_a_valid_png(kind, side):
    image = open_png(render_document_page(kind, holder_name="Jane Doe", side=side))
    assert image.format == "PNG"
    assert image.mode == "RGB"
    assert image.size == ((1000, 630) if kind in IDENTITY else (630, 1000))


def test_explicit_size_is_kept_for_pages():
    png = render_document_page("bank_statement", holder_name="Jane Doe", width=800, height=500)
    assert open_png(png).size == (800, 500)


@pytest.mark.parametrize("kind", KINDS)
def test_rendering_is_deterministic(kind):
    args = {"holder_name": "Jane Doe", "number": "P7654321", "country": "FR"}
    assert render_document_page(kind, **args) == render_document_page(kind, **args)


@pytest.mark.parametrize("kind", IDENTITY)
def test_front_and_back_differ(kind):
    front = render_document_page(kind, holder_name="Jane Doe", side="front")
    back = render_document_page(kind, holder_name="Jane Doe", side="back")
    assert front != back


@pytest.mark.parametrize("kind", KINDS)
def test_different_holders_differ(kind):
    jane = render_document_page(kind, holder_name="Jane Doe")
    john = render_document_page(kind, holder_name="John Roe")
    assert jane != john


def test_unknown_kind_is_refused_listing_the_known_kinds():
    with pytest.raises(ValueError, match="selfie") as excinfo:
        render_document_page("selfie", holder_name="Jane Doe")
    assert all(kind in str(excinfo.value) for kind in KINDS)
