"""Forms of the shop admin: inline rows whose writes go through services,
and the intermediate pages of bulk actions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.images import image_reencode
from shop.csv_io import IMPORT_MAX_BYTES
from shop.models import ProductImage, Variant
from shop.services.catalog import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS

OPTION_ROWS_MIN = 3
OPTION_ROWS_MAX = 10
OPTION_NAME_MAX_LENGTH = 40
OPTION_VALUE_MAX_LENGTH = 80


def _option_pairs(value) -> list[tuple[str, str]]:
    """The (name, value) rows of a stored options object or of posted rows."""
    if isinstance(value, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [(str(name or ""), str(val or "")) for name, val in value]
    return []


class OptionRowsWidget(forms.Widget):
    """A variant's options as rows of "name / value" inputs, e.g. Size / M.
    Always a few empty rows more than the variant has, so a new option is
    typed in, not written as JSON."""

    template_name = "admin/shop/widgets/option_rows.html"

    class Media:
        css = {"all": ["shop/css/admin.css"]}

    def format_value(self, value):
        return _option_pairs(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pairs = context["widget"]["value"] or []
        count = min(max(len(pairs) + 1, OPTION_ROWS_MIN), OPTION_ROWS_MAX)
        pairs = [*pairs, *[("", "")] * (count - len(pairs))]
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["rows"] = [
            {
                "index": i,
                "name": option_name,
                "value": option_value,
                "name_field": f"{name}_{i}_name",
                "value_field": f"{name}_{i}_value",
                "name_id": f"{base_id}_{i}_name",
                "value_id": f"{base_id}_{i}_value",
            }
            for i, (option_name, option_value) in enumerate(pairs)
        ]
        context["widget"]["name_max_length"] = OPTION_NAME_MAX_LENGTH
        context["widget"]["value_max_length"] = OPTION_VALUE_MAX_LENGTH
        return context

    def value_from_datadict(self, data, files, name):
        pairs = []
        for i in range(OPTION_ROWS_MAX):
            name_key, value_key = f"{name}_{i}_name", f"{name}_{i}_value"
            if name_key not in data and value_key not in data:
                continue
            pairs.append((data.get(name_key, ""), data.get(value_key, "")))
        return pairs

    def value_omitted_from_data(self, data, files, name):
        return not any(
            f"{name}_{i}_{part}" in data
            for i in range(OPTION_ROWS_MAX)
            for part in ("name", "value")
        )

    def id_for_label(self, id_):
        return f"{id_}_0_name" if id_ else id_


class VariantOptionsField(forms.Field):
    """Option name to value (the variant's `options` object), typed as rows.
    Empty rows are ignored; a value needs a name, a name needs a value, and a
    name is used once per variant (Size and size are the same option)."""

    widget = OptionRowsWidget
    default_error_messages = {
        "name_missing": _("Give the value %(value)s an option name, e.g. Size or Colour."),
        "value_missing": _("Give the option %(name)s a value."),
        "duplicate": _("The option %(name)s is listed twice; use each name once."),
        "too_long": _("Keep option names to %(name_max)s and values to %(value_max)s characters."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", dict)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _option_pairs(value)

    def to_python(self, value) -> dict:
        pairs = [(name.strip(), val.strip()) for name, val in _option_pairs(value)]
        options: dict[str, str] = {}
        seen: set[str] = set()
        errors = []
        for name, val in pairs:
            if not name and not val:
                continue
            if not name:
                errors.append(
                    ValidationError(
                        self.error_messages["name_missing"],
                        code="name_missing",
                        params={"value": val},
                    )
                )
                continue
            if not val:
                errors.append(
                    ValidationError(
                        self.error_messages["value_missing"],
                        code="value_missing",
                        params={"name": name},
                    )
                )
                continue
            if len(name) > OPTION_NAME_MAX_LENGTH or len(val) > OPTION_VALUE_MAX_LENGTH:
                errors.append(
                    ValidationError(
                        self.error_messages["too_long"],
                        code="too_long",
                        params={
                            "name_max": OPTION_NAME_MAX_LENGTH,
                            "value_max": OPTION_VALUE_MAX_LENGTH,
                        },
                    )
                )
                continue
            if name.casefold() in seen:
                errors.append(
                    ValidationError(
                        self.error_messages["duplicate"], code="duplicate", params={"name": name}
                    )
                )
                continue
            seen.add(name.casefold())
            options[name] = val
        if errors:
            raise ValidationError(errors)
        return options

    def has_changed(self, initial, data) -> bool:
        try:
            new = self.to_python(data)
        except ValidationError:
            return True
        old = {str(k): "" if v is None else str(v) for k, v in (initial or {}).items()}
        return list(old.items()) != list(new.items())


class VariantForm(forms.ModelForm):
    """The standalone variant page: options as rows, not JSON."""

    options = VariantOptionsField(
        label=capfirst(Variant._meta.get_field("options").verbose_name),
        help_text=_(
            "One option per row, e.g. Size / M and Colour / Red. Leave all rows "
            "empty for a product with a single variant."
        ),
    )

    class Meta:
        model = Variant
        fields = ["product", "sku", "options", "price", "compare_at_price", "is_active", "position"]


class VariantInlineForm(VariantForm):
    """Stock is checked here for a friendly message; the service checks it
    again under the row lock when it is saved."""

    class Meta:
        model = Variant
        fields = ["sku", "options", "price", "compare_at_price", "stock", "is_active", "position"]
        widgets = {
            "sku": forms.TextInput(attrs={"size": 16}),
            "price": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "compare_at_price": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "stock": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "position": forms.NumberInput(attrs={"class": "vIntegerField"}),
        }

    def clean_stock(self):
        stock = self.cleaned_data.get("stock")
        if stock is None:
            return stock
        if stock < 0:
            raise ValidationError(_("Stock cannot be negative."), code="invalid_stock")
        if self.instance.pk:
            reserved = (
                Variant.objects.filter(pk=self.instance.pk)
                .values_list("reserved", flat=True)
                .first()
                or 0
            )
            if stock < reserved:
                raise ValidationError(
                    _("%(count)s units are held by unpaid orders; stock cannot go below that.")
                    % {"count": reserved},
                    code="stock_below_reserved",
                )
        return stock


class StoredImageWidget(forms.Widget):
    """Stands in for the file input on a row that already has its image."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("<span>{}</span>", _("stored"))

    def value_from_datadict(self, data, files, name):
        return None


class ProductImageInlineForm(forms.ModelForm):
    """New images come in through `upload` and are re-encoded by the catalog
    service; existing ones only change their alt text and position."""

    upload = forms.FileField(
        label=_("upload"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF. Thumbnails are made once, on upload."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    class Meta:
        model = ProductImage
        fields = ["alt_text", "position"]
        widgets = {"position": forms.NumberInput(attrs={"class": "vIntegerField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A stored image is replaced by deleting it and uploading another.
            self.fields["upload"].disabled = True
            self.fields["upload"].widget = StoredImageWidget()

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            # Refuse a bad file here, with the field's message; the service
            # re-encodes it for real when the product is saved.
            image_reencode(
                upload, max_bytes=IMAGE_MAX_BYTES, max_pixels=IMAGE_MAX_PIXELS, max_side=64
            )
            upload.seek(0)
        return upload

    def clean(self):
        cleaned = super().clean()
        new_without_file = not self.instance.pk and not cleaned.get("upload")
        if new_without_file and self.has_changed() and not cleaned.get("DELETE"):
            self.add_error("upload", _("Choose an image to upload."))
        return cleaned


class ActionForm(forms.Form):
    """The form of an intermediate page of a bulk action."""


class PriceChangeForm(ActionForm):
    percent = forms.DecimalField(
        label=_("change by (%)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("1000"))],
        help_text=_("Positive raises, negative lowers, e.g. 10 or -15. Applies to every variant."),
    )

    def clean_percent(self):
        percent = self.cleaned_data["percent"]
        if percent == 0:
            # xgettext:no-python-format
            raise ValidationError(_("A change of 0% changes nothing."), code="zero")
        return percent


class StockSetForm(ActionForm):
    stock = forms.IntegerField(
        label=_("stock"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("Sets the on-hand count of every active variant of the selected products."),
    )


class ShipForm(ActionForm):
    carrier = forms.CharField(label=_("carrier"), max_length=60, initial="JNE")

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                label=_("Tracking number for %(number)s") % {"number": order.number},
                max_length=80,
                initial=order.tracking_number,
            )

    def tracking_for(self, order) -> str:
        return self.cleaned_data[f"tracking_{order.pk}"]

    def tracking_fields(self):
        return [self[f"tracking_{order.pk}"] for order in self.orders]


class RefundForm(ActionForm):
    amount = forms.DecimalField(
        label=_("amount"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to refund everything not yet refunded."),
    )
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)

    def __init__(self, *args, order_count: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_count = order_count

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and self.order_count > 1:
            raise ValidationError(
                _("A partial amount can be refunded on one order at a time."), code="many"
            )
        return amount


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("UTF-8, with a header row; at most %(size)s.") % {
            "size": filesizeformat(IMPORT_MAX_BYTES)
        }
