from __future__ import annotations

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from shop import payments, selectors
from shop.models import MAX_LINE_QUANTITY, Address, ShippingMethod
from shop.services.addresses import ADDRESS_FIELDS


class CartAddForm(forms.Form):
    variant_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1
    )


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        help_text=_("0 removes the item."),
    )


def first_error(form: forms.Form) -> str:
    """One readable sentence for a refused cart form."""
    for field, errors in form.errors.items():
        if field == "quantity":
            return str(_("Choose a quantity between 1 and %(max)s.") % {"max": MAX_LINE_QUANTITY})
        if field == "variant_id":
            return str(_("Choose an item to add."))
        return str(errors[0])
    return str(_("Check the form and try again."))


ADDRESS_WIDGETS = {
    "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
    "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
    "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
    "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
    "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
    "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
    "country": forms.TextInput(attrs={"autocomplete": "country", "maxlength": 2}),
}


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [*ADDRESS_FIELDS, "is_default"]
        widgets = ADDRESS_WIDGETS


class CheckoutForm(forms.Form):
    """What the shopper chooses. Prices never come from here: the order is
    priced from the database by the checkout service."""

    NEW_ADDRESS = "new"

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send the order confirmation here."),
        # A first-order or once-per-shopper coupon depends on who orders: the
        # summary follows the email too.
        widget=forms.EmailInput(attrs={"autocomplete": "email", "data-summary-input": ""}),
    )
    saved_address = forms.ChoiceField(label=_("Ship to"), required=False, widget=forms.RadioSelect)
    save_address = forms.BooleanField(
        label=_("Save this address in my address book"), required=False
    )
    shipping_method = forms.ModelChoiceField(
        label=_("Shipping method"),
        queryset=ShippingMethod.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        required=False,
    )
    coupon_code = forms.CharField(label=_("Coupon code"), max_length=40, required=False)
    payment_method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    note = forms.CharField(
        label=_("Note for the seller"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, addresses=(), shipping_methods=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        self.addresses = list(addresses)
        self.gateways = {gateway.code: gateway for gateway in payments.all_gateways()}
        self.fields["payment_method"].choices = [
            (code, gateway.name) for code, gateway in self.gateways.items()
        ]
        methods = (
            shipping_methods
            if shipping_methods is not None
            else ShippingMethod.objects.filter(is_active=True)
        )
        self.fields["shipping_method"].queryset = methods
        self.shipping_required = methods.exists()
        self.fields["shipping_method"].required = self.shipping_required
        if self.addresses:
            self.fields["saved_address"].choices = [
                *((str(address.pk), str(address)) for address in self.addresses),
                (self.NEW_ADDRESS, _("A new address")),
            ]
        else:
            del self.fields["saved_address"]
        if self.user is None:
            del self.fields["save_address"]
        else:
            self.fields["email"].initial = self.user.email
        if not self.is_bound:
            self.fields["idempotency_key"].initial = uuid.uuid4().hex
            if self.addresses:
                default = next((a for a in self.addresses if a.is_default), self.addresses[0])
                self.fields["saved_address"].initial = str(default.pk)
            elif self.user is not None:
                self.fields["save_address"].initial = True
            if self.gateways:
                self.fields["payment_method"].initial = next(iter(self.gateways))

    @property
    def address_fields(self):
        return [self[name] for name in ADDRESS_FIELDS if name in self.fields]

    def chosen_address(self) -> Address | None:
        choice = self.cleaned_data.get("saved_address") or ""
        return next((a for a in self.addresses if str(a.pk) == choice), None)

    def clean(self):
        data = super().clean()
        method = data.get("shipping_method")
        needs_address = method is None or method.kind != ShippingMethod.Kind.PICKUP
        if needs_address and self.chosen_address() is None:
            for name in ("full_name", "phone", "line1", "city", "postal_code"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("This field is required."))
        gateway = self.gateways.get(data.get("payment_method") or "")
        if gateway is not None and gateway.collects_card:
            digits = "".join(ch for ch in data.get("card_number") or "" if ch.isdigit())
            if not 12 <= len(digits) <= 19:
                self.add_error("card_number", _("Enter the card number."))
            data["card_number"] = digits
        return data

    def shipping_address(self) -> dict:
        chosen = self.chosen_address()
        if chosen is not None:
            return chosen.as_snapshot()
        method = self.cleaned_data.get("shipping_method")
        if (
            method is not None
            and method.kind == ShippingMethod.Kind.PICKUP
            and not (self.cleaned_data.get("line1") or "").strip()
        ):
            return {}
        address = {
            name: (self.cleaned_data.get(name) or "").strip()
            for name in ADDRESS_FIELDS
            if name != "country"
        }
        address["country"] = "ID"
        return address


def _with_optional_address_fields(fields: dict) -> dict:
    """The address book's fields (labels, lengths, widgets from Address),
    placed after `saved_address` and all optional: a saved address may be
    chosen instead; clean() requires them when it is not."""
    address_fields = forms.fields_for_model(
        Address,
        fields=[name for name in ADDRESS_FIELDS if name != "country"],
        widgets=ADDRESS_WIDGETS,
    )
    for field in address_fields.values():
        field.required = False
    combined = {}
    for name, field in fields.items():
        combined[name] = field
        if name == "saved_address":
            combined.update(address_fields)
    return combined


CheckoutForm.base_fields = _with_optional_address_fields(CheckoutForm.base_fields)


class PaymentRetryForm(forms.Form):
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_card_number(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["card_number"] if ch.isdigit())
        if not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("Enter the card number."))
        return digits


class StockAlertForm(forms.Form):
    variant_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,140}$")


class ListingForm(forms.Form):
    """The GET filters of a listing page; invalid values are ignored, never
    an error page."""

    min_price = forms.DecimalField(
        label=_("Min price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_price = forms.DecimalField(
        label=_("Max price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    tag = forms.SlugField(label=_("Tag"), required=False, max_length=100)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=selectors.sort_choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rating_choices = selectors.min_rating_choices()
        if rating_choices:  # only once a reviews app provides ratings
            self.fields["min_rating"] = forms.TypedChoiceField(
                label=_("Rating"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("Any rating")), *rating_choices],
            )

    def filters(self, *, default_sort: str = selectors.DEFAULT_SORT) -> selectors.ProductFilters:
        self.is_valid()  # fields that fail validation are left out of cleaned_data
        data = self.cleaned_data
        brands = tuple(
            slug for slug in self.data.getlist("brand")[:20] if SLUG_RE.match(slug or "")
        )
        return selectors.ProductFilters(
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            brands=brands,
            tag=data.get("tag") or "",
            in_stock=bool(data.get("in_stock")),
            min_rating=data.get("min_rating"),
            sort=data.get("sort") or default_sort,
        )
