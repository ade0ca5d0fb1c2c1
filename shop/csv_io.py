"""Products in and out as CSV, one row per variant.

Export writes exactly the columns import reads, so an exported file imports
back unchanged. Import checks every row first and writes nothing if any row
is wrong; only a clean file is applied, in one transaction, creating or
updating by SKU."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.i18n import translated_languages
from core.money import quantize
from shop.models import Brand, Category, Product, Variant
from shop.services.catalog import (
    localized,
    product_create,
    product_refresh,
    product_tags_set,
    translated_values,
    variant_add,
    variant_set_stock,
)

COLUMNS = [
    "sku",
    "name",
    "category",
    "brand",
    "price",
    "compare_at_price",
    "stock",
    "options",
    "product_slug",
    "description",
    "tags",
    "published",
]
# Other languages' text (shop/translation.py): name_id, description_id and
# tags_id for Bahasa Indonesia. tags_<code> lists the same tags in the same
# order as tags; an empty cell (or an empty place in the list) means "not
# translated", and the English text shows.
OTHER_LANGUAGES = [code for code in translated_languages() if code != settings.LANGUAGE_CODE]
TRANSLATED_COLUMNS = ("name", "description", "tags")
COLUMNS += [f"{column}_{code}" for code in OTHER_LANGUAGES for column in TRANSLATED_COLUMNS]
REQUIRED_COLUMNS = {"sku", "name", "category", "price"}
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000
MAX_PRICE = Decimal("9999999999.99")
MAX_STOCK = 1_000_000
TRUE_WORDS = {"1", "true", "yes", "y", "ya"}
FALSE_WORDS = {"", "0", "false", "no", "n", "tidak"}


# --- Export -------------------------------------------------------------------


def _options_text(options: dict) -> str:
    return ";".join(f"{key}={value}" for key, value in (options or {}).items())


def _money_text(amount: Decimal | None) -> str:
    return "" if amount is None else str(quantize(amount))


def products_export_rows(products: Iterable[Product]) -> Iterable[list[str]]:
    """The header, then one row per variant; `products` should prefetch
    variants and tags and select category and brand."""
    yield COLUMNS
    for product in products:
        tags = sorted(product.tags.all(), key=lambda tag: getattr(tag, localized("name")))
        translated = []
        for code in OTHER_LANGUAGES:
            translated += [
                getattr(product, localized("name", code)) or "",
                getattr(product, localized("description", code)) or "",
                ", ".join(getattr(tag, localized("name", code)) or "" for tag in tags)
                if any(getattr(tag, localized("name", code)) for tag in tags)
                else "",
            ]
        for variant in product.variants.all():
            yield [
                variant.sku,
                getattr(product, localized("name")),
                product.category.slug,
                product.brand.name if product.brand else "",
                _money_text(variant.price),
                _money_text(variant.compare_at_price),
                str(variant.stock),
                _options_text(variant.options),
                product.slug,
                getattr(product, localized("description")),
                ", ".join(getattr(tag, localized("name")) for tag in tags),
                "yes" if product.is_published else "no",
                *translated,
            ]


def export_queryset(queryset):
    return (
        queryset.select_related("category", "brand")
        .prefetch_related("variants", "tags")
        .order_by("pk")
    )


def products_export_csv(queryset) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in products_export_rows(export_queryset(queryset)):
        writer.writerow(row)
    return out.getvalue()


# --- Import: parse and check ----------------------------------------------------


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        if self.row:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return self.message


@dataclass
class ParsedRow:
    row: int
    sku: str
    name: str
    category: Category
    brand_name: str
    price: Decimal
    compare_at_price: Decimal | None
    stock: int | None
    options: dict
    product_slug: str
    description: str
    tags: list[str]
    published: bool
    # {"id": {"name": ..., "description": ...}} and {"id": [tag names]}
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    tag_translations: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: list[ParsedRow] = field(default_factory=list)
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    products_created: int = 0
    products_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _decode(upload) -> str:
    size = getattr(upload, "size", None)
    if size is not None and size > IMPORT_MAX_BYTES:
        raise ApplicationError(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(IMPORT_MAX_BYTES)},
            code="csv_too_large",
        )
    name = getattr(upload, "name", "") or ""
    if name and not name.lower().endswith(".csv"):
        raise ApplicationError(
            _("Upload a .csv file (comma-separated values, UTF-8)."), code="csv_not_csv"
        )
    upload.seek(0)
    data = upload.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise ApplicationError(
            _("The file is too large; the limit is %(limit)s.")
            % {"limit": filesizeformat(IMPORT_MAX_BYTES)},
            code="csv_too_large",
        )
    if isinstance(data, str):
        return data
    if b"\x00" in data:
        raise ApplicationError(
            _("This file is not a CSV file (it looks like binary data)."), code="csv_not_csv"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            _("This file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
            code="csv_not_csv",
        ) from None


def _money(value: str, column: str, row: int, errors: list[RowError], *, required: bool):
    value = value.strip().replace(" ", "")
    if not value:
        if required:
            errors.append(RowError(row, column, _("is required.")))
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        errors.append(RowError(row, column, _("“%(value)s” is not a number.") % {"value": value}))
        return None
    if not amount.is_finite():
        errors.append(RowError(row, column, _("“%(value)s” is not a number.") % {"value": value}))
        return None
    if amount < 0:
        errors.append(RowError(row, column, _("cannot be negative.")))
        return None
    if amount > MAX_PRICE:
        errors.append(RowError(row, column, _("is too large.")))
        return None
    return quantize(amount)


def _stock(value: str, row: int, errors: list[RowError]) -> int | None:
    value = value.strip()
    if not value:
        return None  # keep what is on the shelf (0 for a new variant)
    try:
        stock = int(value)
    except ValueError:
        errors.append(
            RowError(row, "stock", _("“%(value)s” is not a whole number.") % {"value": value})
        )
        return None
    if stock < 0:
        errors.append(RowError(row, "stock", _("cannot be negative.")))
        return None
    if stock > MAX_STOCK:
        errors.append(RowError(row, "stock", _("is too large.")))
        return None
    return stock


def _options(value: str, row: int, errors: list[RowError]) -> dict:
    options: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, option = part.partition("=")
        if not sep or not key.strip() or not option.strip():
            errors.append(
                RowError(
                    row,
                    "options",
                    _(
                        "write options as Name=Value pairs separated by “;”, e.g. Size=M;Colour=Red."
                    ),
                )
            )
            return {}
        options[key.strip()] = option.strip()
    return options


def _published(value: str, row: int, errors: list[RowError]) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    errors.append(RowError(row, "published", _("use yes or no.")))
    return False


class _CategoryLookup:
    """Categories by slug or by a path of names such as “Fashion/Batik”."""

    def __init__(self) -> None:
        categories = list(Category.objects.order_by("path"))
        self.by_slug = {c.slug.lower(): c for c in categories}
        by_path = {c.path: c for c in categories}
        self.by_names: dict[str, Category] = {}
        for category in categories:
            names = []
            for depth in range(1, category.depth + 1):
                ancestor = by_path.get(category.path[: depth * Category.steplen])
                names.append(ancestor.name if ancestor else "")
            self.by_names["/".join(n.strip().lower() for n in names)] = category

    def find(self, value: str) -> Category | None:
        key = value.strip().lower()
        key = "/".join(part.strip() for part in key.strip("/").split("/"))
        return self.by_slug.get(key) or self.by_names.get(key)


def products_import_check(upload) -> ImportResult:
    """Parse and check the whole file. Writes nothing."""
    result = ImportResult()
    errors = result.errors
    try:
        text = _decode(upload)
    except ApplicationError as exc:
        errors.append(RowError(0, "", exc.message))
        return result
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error:
        errors.append(RowError(0, "", _("This file could not be read as CSV.")))
        return result
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        errors.append(
            RowError(
                0,
                "",
                _("The first row must name the columns; missing: %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
        return result
    reader.fieldnames = header

    categories = _CategoryLookup()
    seen_skus: dict[str, int] = {}
    existing = {
        v.sku: v
        for v in Variant.objects.select_related("product").only("sku", "reserved", "product__slug")
    }
    slug_first: dict[str, ParsedRow] = {}
    try:
        for index, raw in enumerate(reader, start=2):
            if index - 1 > IMPORT_MAX_ROWS:
                errors.append(
                    RowError(
                        0,
                        "",
                        _("The file has more than %(count)s rows; split it.")
                        % {"count": IMPORT_MAX_ROWS},
                    )
                )
                break
            if None in raw:
                errors.append(RowError(index, "", _("has more cells than the header.")))
                continue
            values = {key: (raw.get(key) or "").strip() for key in COLUMNS}
            if not any(values.values()):
                continue  # a blank line
            row_errors: list[RowError] = []
            sku = values["sku"]
            if not sku:
                row_errors.append(RowError(index, "sku", _("is required.")))
            elif len(sku) > Variant._meta.get_field("sku").max_length:
                row_errors.append(RowError(index, "sku", _("is too long.")))
            elif sku in seen_skus:
                row_errors.append(
                    RowError(
                        index,
                        "sku",
                        _("“%(sku)s” is already used on row %(row)s of this file.")
                        % {"sku": sku, "row": seen_skus[sku]},
                    )
                )
            else:
                seen_skus[sku] = index
            name = values["name"]
            if not name:
                row_errors.append(RowError(index, "name", _("is required.")))
            elif len(name) > Product._meta.get_field("name").max_length:
                row_errors.append(RowError(index, "name", _("is too long.")))
            category = None
            if not values["category"]:
                row_errors.append(RowError(index, "category", _("is required.")))
            else:
                category = categories.find(values["category"])
                if category is None:
                    row_errors.append(
                        RowError(
                            index,
                            "category",
                            _(
                                "no category “%(value)s” (use its slug or a path like Fashion/Batik)."
                            )
                            % {"value": values["category"]},
                        )
                    )
            price = _money(values["price"], "price", index, row_errors, required=True)
            compare_at = _money(
                values["compare_at_price"], "compare_at_price", index, row_errors, required=False
            )
            stock = _stock(values["stock"], index, row_errors)
            options = _options(values["options"], index, row_errors)
            published = _published(values["published"], index, row_errors)
            current = existing.get(sku) if sku else None
            # An empty product_slug keeps a known SKU on its product; a new
            # one gets a product named after it.
            fallback = current.product.slug if current is not None else name
            product_slug = slugify(values["product_slug"] or fallback)[:220]
            if not product_slug:
                row_errors.append(RowError(index, "product_slug", _("is required.")))
            tags = [t.strip() for t in values["tags"].split(",") if t.strip()]
            translations: dict[str, dict[str, str]] = {}
            tag_translations: dict[str, list[str]] = {}
            for code in OTHER_LANGUAGES:
                translated_name = values[f"name_{code}"]
                if len(translated_name) > Product._meta.get_field("name").max_length:
                    row_errors.append(RowError(index, f"name_{code}", _("is too long.")))
                translations[code] = {
                    "name": translated_name,
                    "description": values[f"description_{code}"],
                }
                if values[f"tags_{code}"]:
                    names = [t.strip() for t in values[f"tags_{code}"].split(",")]
                    if len(names) != len(tags):
                        row_errors.append(
                            RowError(
                                index,
                                f"tags_{code}",
                                _(
                                    "lists %(count)s tags but tags lists %(expected)s; give one "
                                    "name per tag, in the same order (leave a place empty to "
                                    "keep a tag untranslated)."
                                )
                                % {"count": len(names), "expected": len(tags)},
                            )
                        )
                    else:
                        tag_translations[code] = names
            if len(values["brand"]) > Brand._meta.get_field("name").max_length:
                row_errors.append(RowError(index, "brand", _("is too long.")))

            if current is not None and product_slug and current.product.slug != product_slug:
                row_errors.append(
                    RowError(
                        index,
                        "product_slug",
                        _(
                            "SKU “%(sku)s” belongs to product “%(slug)s”; moving it is not supported."
                        )
                        % {"sku": sku, "slug": current.product.slug},
                    )
                )
            if current is not None and stock is not None and stock < current.reserved:
                row_errors.append(
                    RowError(
                        index,
                        "stock",
                        _("%(count)s units are held by unpaid orders; stock cannot go below that.")
                        % {"count": current.reserved},
                    )
                )
            first = slug_first.get(product_slug)
            if first is not None and category is not None and first.category.pk != category.pk:
                row_errors.append(
                    RowError(
                        index,
                        "category",
                        _("differs from row %(row)s of the same product.") % {"row": first.row},
                    )
                )
            if row_errors:
                errors.extend(row_errors)
                continue
            parsed = ParsedRow(
                row=index,
                sku=sku,
                name=name,
                category=category,
                brand_name=values["brand"],
                price=price,
                compare_at_price=compare_at,
                stock=stock,
                options=options,
                product_slug=product_slug,
                description=values["description"],
                tags=tags,
                published=published,
                translations=translations,
                tag_translations=tag_translations,
            )
            slug_first.setdefault(product_slug, parsed)
            result.rows.append(parsed)
    except csv.Error as exc:
        errors.append(
            RowError(
                reader.line_num, "", _("This file could not be read as CSV: %(e)s") % {"e": exc}
            )
        )
    if not errors and not result.rows:
        errors.append(RowError(0, "", _("The file has no product rows.")))
    return result


# --- Import: apply ----------------------------------------------------------------


def _brand(name: str, cache: dict[str, Brand]) -> Brand | None:
    if not name:
        return None
    key = name.lower()
    if key not in cache:
        brand = Brand.objects.filter(name__iexact=name).first()
        if brand is None:
            slug = slugify(name)[:130] or "brand"
            base, n = slug, 2
            while Brand.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            brand = Brand.objects.create(name=name, slug=slug)
        cache[key] = brand
    return cache[key]


@transaction.atomic
def products_import_apply(result: ImportResult) -> ImportResult:
    """Apply checked rows (products_import_check) in one transaction,
    creating or updating by SKU. Raises ApplicationError (and writes nothing)
    if a stock change is refused under the lock."""
    if result.errors:
        raise ApplicationError(_("Fix the errors in the file first."), code="csv_invalid")
    brands: dict[str, Brand] = {}
    groups: dict[str, list[ParsedRow]] = {}
    for row in result.rows:
        groups.setdefault(row.product_slug, []).append(row)
    variants = {
        v.sku: v
        for v in Variant.objects.filter(sku__in=[r.sku for r in result.rows]).select_related(
            "product"
        )
    }

    for slug, rows in groups.items():
        head = rows[0]
        brand = _brand(head.brand_name, brands)
        product = Product.objects.filter(slug=slug).first()
        if product is None:
            first = rows.pop(0)
            product = product_create(
                name=first.name,
                slug=slug,
                category=first.category,
                brand=brand,
                price=first.price,
                sku=first.sku,
                stock=first.stock or 0,
                description=first.description,
                tags=first.tags,
                is_published=first.published,
                translations=first.translations,
                tag_translations=first.tag_translations,
            )
            Variant.objects.filter(product=product, sku=first.sku).update(
                options=first.options, compare_at_price=first.compare_at_price
            )
            result.products_created += 1
            result.variants_created += 1
        else:
            fields = {
                **translated_values(
                    {"name": head.name, "description": head.description}, head.translations
                ),
                "category_id": head.category.pk,
                "brand_id": brand.pk if brand else None,
                "is_published": head.published,
            }
            changed = any(
                (getattr(product, key) or "") != value
                if isinstance(value, str)
                else getattr(product, key) != value
                for key, value in fields.items()
            )
            current = {getattr(tag, localized("name")): tag for tag in product.tags.all()}
            tags_changed = sorted(current) != sorted(head.tags) or any(
                name and (getattr(current.get(tag), localized("name", code), None) or "") != name
                for code, names in head.tag_translations.items()
                for tag, name in zip(head.tags, names, strict=True)
            )
            if changed or tags_changed:
                Product.objects.filter(pk=product.pk).update(**fields)
                product_tags_set(
                    product=product, tags=head.tags, translations=head.tag_translations
                )
                result.products_updated += 1
        for row in rows:
            variant = variants.get(row.sku)
            if variant is None:
                variant_add(
                    product=product,
                    sku=row.sku,
                    price=row.price,
                    stock=row.stock or 0,
                    options=row.options,
                    compare_at_price=row.compare_at_price,
                )
                result.variants_created += 1
                continue
            fields = {
                "price": row.price,
                "compare_at_price": row.compare_at_price,
                "options": row.options,
            }
            changed = any(getattr(variant, key) != value for key, value in fields.items())
            if changed:
                Variant.objects.filter(pk=variant.pk).update(**fields)
            if row.stock is not None and row.stock != variant.stock:
                variant_set_stock(variant_id=variant.pk, stock=row.stock)
                changed = True
            if changed:
                result.variants_updated += 1
            else:
                result.variants_unchanged += 1
        product_refresh(product_id=product.pk)
    return result
