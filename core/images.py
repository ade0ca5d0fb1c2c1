"""Untrusted image uploads: checked, then re-encoded with Pillow.

Re-encoding drops EXIF (location, camera serials) and anything smuggled after
the image data; the pixel limit is checked from the header, before decoding,
so a decompression bomb is refused without being expanded."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def image_reencode(
    upload,
    *,
    max_bytes: int,
    max_pixels: int,
    square_size: int | None = None,
    max_side: int | None = None,
    quality: int = 85,
) -> ContentFile:
    """Return a clean WebP of `upload`, or raise ValidationError with a message
    fit for the user. Nothing is stored here."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("The image is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="image_too_large",
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The image is too large; the limit is %(limit)s.")
            % {"limit": filesizeformat(max_bytes)},
            code="image_too_large",
        )
    too_many_pixels = _("The image has too many pixels (%(w)s×%(h)s); the limit is %(limit)s.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("Upload a JPEG, PNG, WebP or GIF image."), code="image_format"
                )
            if width * height > max_pixels:
                raise ValidationError(
                    too_many_pixels % {"w": width, "h": height, "limit": _megapixels(max_pixels)},
                    code="image_too_many_pixels",
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            if square_size:
                image = ImageOps.fit(image, (square_size, square_size), Image.Resampling.LANCZOS)
            elif max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=quality, method=4)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses headers past twice its own limit before we can read them.
        raise ValidationError(
            _("The image has too many pixels; the limit is %(limit)s.")
            % {"limit": _megapixels(max_pixels)},
            code="image_too_many_pixels",
        ) from None
    except Exception:  # noqa: BLE001 - hostile files make Pillow raise many types
        raise ValidationError(_("The file is not a valid image."), code="image_invalid") from None
    return ContentFile(out.getvalue(), name="image.webp")


def _megapixels(pixels: int) -> str:
    return _("%(count)s megapixels") % {"count": f"{pixels / 1_000_000:.1f}"}


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode == "P" and "transparency" in image.info
    )
