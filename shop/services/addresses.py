"""The address book. Every function takes the owner, so a user can only
ever touch their own entries."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from shop.models import Address

ADDRESS_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
)


def _clean(data: dict) -> dict:
    cleaned = {name: str(data.get(name) or "").strip() for name in ADDRESS_FIELDS}
    cleaned["country"] = (cleaned["country"] or "ID").upper()[:2]
    missing = [
        name for name in ("full_name", "phone", "line1", "city", "postal_code") if not cleaned[name]
    ]
    if missing:
        raise ApplicationError(
            _("Fill in name, phone, address, city and postal code."), code="address_incomplete"
        )
    return cleaned


def _owned(*, user, address_id: int) -> Address:
    address = Address.objects.select_for_update().filter(pk=address_id, user=user).first()
    if address is None:
        raise ApplicationError(_("No such address."), code="not_found", status_code=404)
    return address


def _make_default(*, user, address: Address) -> None:
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def address_create(*, user, data: dict, is_default: bool = False) -> Address:
    """The first address a user saves becomes their default."""
    cleaned = _clean(data)
    first = not Address.objects.filter(user=user).exists()
    address = Address.objects.create(user=user, **cleaned)
    if is_default or first:
        _make_default(user=user, address=address)
    return address


@transaction.atomic
def address_save_from_checkout(*, user, data: dict) -> Address:
    """Save a checkout's new address unless the book already holds it
    (a re-submitted checkout must not add it twice)."""
    cleaned = _clean(data)
    existing = Address.objects.filter(user=user, **cleaned).first()
    if existing:
        return existing
    return address_create(user=user, data=cleaned)


@transaction.atomic
def address_update(*, user, address_id: int, data: dict, is_default: bool = False) -> Address:
    address = _owned(user=user, address_id=address_id)
    for name, value in _clean(data).items():
        setattr(address, name, value)
    address.save()
    if is_default:
        _make_default(user=user, address=address)
    return address


@transaction.atomic
def address_set_default(*, user, address_id: int) -> Address:
    address = _owned(user=user, address_id=address_id)
    _make_default(user=user, address=address)
    return address


@transaction.atomic
def address_delete(*, user, address_id: int) -> None:
    """Deleting the default hands the role to the newest remaining address."""
    address = _owned(user=user, address_id=address_id)
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-created_at", "-pk").first()
        if successor:
            _make_default(user=user, address=successor)
