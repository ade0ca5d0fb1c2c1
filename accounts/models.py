from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class EmailUserManager(UserManager):
    """Email is the login; there is no username."""

    use_in_migrations = True

    def _create_user_object(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.password = ""
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def _create_user(self, email, password, **extra_fields):
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


def avatar_upload_to(instance: User, filename: str) -> str:
    return f"avatars/{instance.pk}/{secrets.token_hex(8)}.webp"


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    bio = models.TextField(_("short bio"), max_length=500, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    birthday = models.DateField(
        _("birthday"), null=True, blank=True, help_text=_("Optional: a treat on your birthday.")
    )
    # The referral code the member arrived with (?ref=), kept for the program
    # that issued it; accounts does not interpret it.
    referred_by_code = models.CharField(
        _("referred by code"), max_length=32, blank=True, editable=False
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # The language the member last chose on the site: their emails use it
    # (blank: the site's default language).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Logins compare addresses case-insensitively; two rows differing
            # only in case would make one of them unreachable.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.public_name

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    @property
    def public_name(self) -> str:
        """The name shown next to a member's content, on leaderboards and in
        the header: their display name, else their numbered name. Never
        anything of their email address (its local part is often a full name
        or the address itself at a common provider)."""
        if self.deleted_at:
            return str(_("Deleted user"))
        return self.display_name or self.numbered_name

    @property
    def numbered_name(self) -> str:
        """What others see of a member without a display name, in the
        current language ("Member 42"). The number is the account's id, which
        the API and links show already; it tells nothing of the person."""
        if self.pk is None:
            return gettext("Member")
        return gettext("Member %(number)s") % {"number": self.pk}

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.public_name


class ApiToken(BaseModel):
    """A named API token. Only a SHA-256 of the key is stored: the key is
    shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


def numbered_name_number(name: str) -> int | None:
    """The member number in `name` if it reads as a numbered name in one of
    the site's languages ("Member 42", "anggota #42"), else None: a display
    name must not pass for another member's numbered name."""
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            template = gettext("Member %(number)s")
        before, _mark, after = template.partition("%(number)s")
        pattern = rf"\s*{_spaced(before)}\s*(?:no\.?|#)?\s*(\d+)\s*{_spaced(after)}\s*"
        if match := re.fullmatch(pattern, name, flags=re.IGNORECASE):
            return int(match.group(1))
    return None


def _spaced(text: str) -> str:
    """`text` as a pattern in which any run of spaces matches any other."""
    return r"\s*".join(re.escape(word) for word in text.split())
