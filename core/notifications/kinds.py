"""The kinds of notification, declared by the apps that send them.

Each app registers its kinds in its AppConfig.ready():

    notification_kind_register(
        NotificationKind(
            code="community.reply",
            label=gettext_lazy("Replies to your threads"),
            render=lambda data: gettext("%(name)s replied to %(title)s") % data,
        )
    )

`render` turns a notification's stored data into one line of plain text in
the active language (the reader's: the list page's request, or the email's
translation.override); it must not query the database, so a list of any
length renders without a query per line. Put what it needs (an order
number, a product name) in `data` when calling notify().

A line that names the member who acted takes the name from `data["name"]`
and is recorded with `actor_id`: when that member deletes their account,
the name is removed from what others were told, and `render` is given
"Deleted user" (in the reader's language) as `data["name"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from core.models import NotificationDelivery as Delivery

MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class NotificationKind:
    code: str  # "community.reply", "shop.order_status": app label first
    label: str  # lazy-translated, shown in the preferences
    render: Callable[[dict], str]  # data -> one line of plain text, no queries
    default: str = Delivery.INSTANT  # for members who never chose
    email: bool = True  # False: the app sends its own email; the centre only lists it
    mutable: bool = True  # False: the member cannot switch it off
    description: str = ""  # help text in the preferences

    def __post_init__(self) -> None:
        app, dot, name = self.code.partition(".")
        if not (app and dot and name) or len(self.code) > MAX_CODE_LENGTH:
            raise ImproperlyConfigured(
                f"A notification kind's code is '<app label>.<name>', at most "
                f"{MAX_CODE_LENGTH} characters: {self.code!r}"
            )
        if self.default not in Delivery.values:
            raise ImproperlyConfigured(f"{self.code}: unknown default delivery {self.default!r}")
        if not self.mutable and self.default == Delivery.OFF:
            raise ImproperlyConfigured(f"{self.code}: a kind members cannot switch off is on.")

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The deliveries a member may choose for this kind: no email for a
        kind the app mails itself, no Off for one that cannot be switched off."""
        choices = []
        for value, label in Delivery.choices:
            if value in (Delivery.INSTANT, Delivery.DAILY) and not self.email:
                continue
            if value == Delivery.OFF and not self.mutable:
                continue
            choices.append((value, label))
        return choices

    def effective(self, chosen: str | None) -> str:
        """The delivery that applies, given the member's stored choice (None:
        never chose). A choice the kind does not offer (any longer) falls
        back to the default."""
        allowed = {value for value, _label in self.choices}
        if chosen in allowed:
            return chosen
        if self.default in allowed:
            return self.default
        return Delivery.WEB


_kinds: dict[str, NotificationKind] = {}


def notification_kind_register(kind: NotificationKind) -> NotificationKind:
    """Declare a kind (in AppConfig.ready()). Registering the same object
    again is harmless; another object under a taken code is a mistake."""
    existing = _kinds.get(kind.code)
    if existing is not None and existing is not kind:
        raise ImproperlyConfigured(f"Notification kind {kind.code!r} is already registered.")
    _kinds[kind.code] = kind
    return kind


def notification_kinds() -> list[NotificationKind]:
    """Every registered kind, in a stable order (by code)."""
    return [_kinds[code] for code in sorted(_kinds)]


def notification_kind_get(code: str) -> NotificationKind:
    try:
        return _kinds[code]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown notification kind {code!r}.") from None


def notification_kind_find(code: str) -> NotificationKind | None:
    """The kind, or None for a code no app declares any more (old rows)."""
    return _kinds.get(code)


def notification_kind_unregister(code: str) -> None:
    """Tests only: forget a kind registered for one test."""
    _kinds.pop(code, None)
