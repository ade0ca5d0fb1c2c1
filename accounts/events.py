"""The public contract of accounts: events other apps may subscribe to."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UserSignedUp(DomainEvent, name="accounts.user_signed_up"):
    user_id: int


@dataclass(frozen=True, kw_only=True)
class EmailVerified(DomainEvent, name="accounts.email_verified"):
    user_id: int
    email: str


@dataclass(frozen=True, kw_only=True)
class UserDeleted(DomainEvent, name="accounts.user_deleted"):
    """The account was anonymised; consumers minimise what they keep."""

    user_id: int


@dataclass(frozen=True, kw_only=True)
class ProfileCompleted(DomainEvent, name="accounts.profile_completed"):
    """The member saved a profile with a display name, an avatar and a bio."""

    user_id: int
