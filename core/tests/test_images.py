from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from core.images import image_reencode

LIMITS = {"max_bytes": 2 * 1024 * 1024, "max_pixels": 4096 * 4096}


def image_bytes(fmt: str = "PNG", size=(400, 300), mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    color = {"RGB": (255, 0, 0), "RGBA": (255, 0, 0, 128)}.get(mode, 1)
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Serial-123456"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 49.0, 0.0),
    }
    return image_bytes("JPEG", exif=exif.tobytes())


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def upload(data: bytes, name: str = "avatar.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_valid_image_is_reencoded_as_a_square_webp(fmt):
    # given
    source = upload(image_bytes(fmt, size=(400, 300)), name=f"photo.{fmt.lower()}")

    # when
    result = image_reencode(source, **LIMITS, square_size=256)

    # then
    with Image.open(io.BytesIO(result.read())) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (256, 256)
    assert result.name.endswith(".webp")


def test_max_side_keeps_the_aspect_ratio():
    # given
    source = upload(image_bytes("PNG", size=(1000, 500)))

    # when
    result = image_reencode(source, **LIMITS, max_side=200)

    # then
    with Image.open(io.BytesIO(result.read())) as stored:
        assert stored.size == (200, 100)


def test_exif_with_gps_is_stripped():
    # given
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    # when
    result = image_reencode(upload(data, "photo.jpg"), **LIMITS, square_size=256)

    # then
    raw = result.read()
    with Image.open(io.BytesIO(raw)) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info
        assert "xmp" not in stored.info
    assert b"PhoneMaker" not in raw
    assert b"Serial-123456" not in raw


def test_exif_orientation_is_applied_before_it_is_dropped():
    # given: a 400×200 picture whose EXIF says "rotate 90°"
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    data = image_bytes("JPEG", size=(400, 200), exif=exif.tobytes())

    # when
    result = image_reencode(upload(data, "photo.jpg"), **LIMITS, max_side=400)

    # then
    with Image.open(io.BytesIO(result.read())) as stored:
        assert stored.size == (200, 400)


def test_transparency_survives_reencoding():
    # given
    data = image_bytes("PNG", size=(64, 64), mode="RGBA")

    # when
    result = image_reencode(upload(data), **LIMITS, square_size=32)

    # then
    with Image.open(io.BytesIO(result.read())) as stored:
        assert stored.mode == "RGBA"


def test_text_named_png_is_refused_as_not_an_image():
    # given
    fake = upload(b"<?php echo 'hello'; ?>\n" * 10, name="avatar.png")

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(fake, **LIMITS)

    # then
    assert refused.value.code == "image_invalid"
    assert "not a valid image" in refused.value.messages[0]


def test_truncated_image_is_refused():
    # given
    data = image_bytes("PNG", size=(300, 300))

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(data[: len(data) // 2]), **LIMITS)

    # then
    assert refused.value.code == "image_invalid"


def test_other_image_formats_are_refused():
    # given
    data = image_bytes("BMP", size=(10, 10))

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(data, "a.bmp"), **LIMITS)

    # then
    assert refused.value.code == "image_format"


def test_file_larger_than_the_byte_limit_is_refused():
    # given
    data = image_bytes("PNG", size=(64, 64)) + b"\x00" * 3000

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(data), max_bytes=2000, max_pixels=LIMITS["max_pixels"])

    # then
    assert refused.value.code == "image_too_large"
    assert "too large" in refused.value.messages[0]


def test_byte_limit_holds_when_the_upload_does_not_report_its_size():
    # given
    stream = io.BytesIO(image_bytes("PNG", size=(64, 64)) + b"\x00" * 3000)

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(stream, max_bytes=2000, max_pixels=LIMITS["max_pixels"])

    # then
    assert refused.value.code == "image_too_large"


def test_image_with_more_pixels_than_allowed_is_refused_before_decoding():
    # given: a small file (mode "1" compresses well) with 5000×4000 pixels
    data = image_bytes("PNG", size=(5000, 4000), mode="1")
    assert len(data) < LIMITS["max_bytes"]

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(data), **LIMITS)

    # then
    assert refused.value.code == "image_too_many_pixels"
    assert "too many pixels" in refused.value.messages[0]


@pytest.mark.parametrize("side", [20_000, 100_000])
def test_header_claiming_huge_dimensions_is_refused_as_too_many_pixels(side):
    # given
    data = png_header_claiming(side, side)

    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(data), **LIMITS)

    # then
    assert refused.value.code == "image_too_many_pixels"


def test_empty_file_is_refused():
    # when
    with pytest.raises(ValidationError) as refused:
        image_reencode(upload(b""), **LIMITS)

    # then
    assert refused.value.code == "image_invalid"
