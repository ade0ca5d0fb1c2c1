from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import ProfileCompleted, UserDeleted
from accounts.models import ApiToken, User, numbered_name_number
from core import hooks
from core.events import publish
from core.exceptions import ApplicationError
from core.images import image_reencode

MAX_API_TOKENS = 20


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar=None,
    remove_avatar: bool = False,
    language: str | None = None,
    birthday=None,
    clear_birthday: bool = False,
) -> User:
    """Change the public profile. `avatar` is an untrusted upload: it is
    validated and re-encoded before anything is stored, and stored only once
    every other field is valid. Raises ValidationError keyed by field."""
    user = User.objects.select_for_update().get(pk=user.pk)
    fields = []
    if display_name is not None:
        user.display_name = display_name.strip()
        number = numbered_name_number(user.display_name)
        if number is not None and number != user.pk:
            raise ValidationError(
                {
                    "display_name": _(
                        "This reads as another member's name. Choose a name of your own."
                    )
                }
            )
        fields.append("display_name")
    if bio is not None:
        user.bio = bio.strip()
        fields.append("bio")
    if language is not None:
        user.language = language
        fields.append("language")
    if birthday is not None or clear_birthday:
        user.birthday = birthday
        fields.append("birthday")
    clean_avatar = None
    if avatar is not None:
        try:
            clean_avatar = image_reencode(
                avatar,
                max_bytes=settings.AVATAR_MAX_BYTES,
                max_pixels=settings.AVATAR_MAX_PIXELS,
                square_size=settings.AVATAR_SIZE,
            )
        except ValidationError as exc:
            raise ValidationError({"avatar": exc.error_list}) from None
    user.full_clean(exclude=["password", "avatar"])

    old_avatar = user.avatar.name if user.avatar else ""
    storage = user.avatar.storage
    new_avatar = ""
    if clean_avatar is not None:
        user.avatar.save(clean_avatar.name, clean_avatar, save=False)
        new_avatar = user.avatar.name
        fields.append("avatar")
    elif remove_avatar and old_avatar:
        user.avatar = ""
        fields.append("avatar")
    try:
        user.save(update_fields=fields)
    except Exception:
        if new_avatar:
            storage.delete(new_avatar)
        raise
    if old_avatar and "avatar" in fields:
        transaction.on_commit(lambda: storage.delete(old_avatar))
    if user.display_name and user.bio and user.avatar:
        publish(ProfileCompleted(user_id=user.pk))
    return user


def user_language_set(*, user: User, language: str) -> bool:
    """Remember the language a signed-in member chose on the site: their
    emails are written in it. Returns whether it changed; an unknown
    language is refused."""
    if language not in dict(settings.LANGUAGES):
        raise ApplicationError("Unknown language.", code="invalid_language")
    if user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is never retrievable again."""
    name = name.strip()
    if not name:
        raise ApplicationError("Give the token a name.", code="token_name_required")
    User.objects.select_for_update().get(pk=user.pk)  # serialise the count check
    if ApiToken.objects.filter(user=user).count() >= MAX_API_TOKENS:
        raise ApplicationError(
            f"You can have at most {MAX_API_TOKENS} API tokens; revoke one first.",
            code="token_limit",
        )
    key = f"kp_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:60], prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> None:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ApplicationError("No such token.", code="not_found", status_code=404)


def api_tokens_revoke_all(*, user: User) -> int:
    """Every API token of the user stops working (a changed or reset password:
    whoever knew the old one may have made a token). Returns how many."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_export_data(*, user: User) -> dict:
    """Everything the platform holds about `user`, as JSON-able data. Other
    apps add their sections through the USER_DATA_EXPORT hook."""
    data = {
        "account": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "bio": user.bio,
            "avatar": user.avatar.url if user.avatar else None,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "language": user.language or None,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "social_accounts": [
            {"provider": s.provider, "uid": s.uid, "date_joined": s.date_joined.isoformat()}
            for s in SocialAccount.objects.filter(user=user)
        ],
        "two_factor": [
            {"type": a.type, "created_at": a.created_at.isoformat()}
            for a in Authenticator.objects.filter(user=user)
        ],
        "api_tokens": [
            {"name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat()}
            for t in ApiToken.objects.filter(user=user)
        ],
    }
    for fn in hooks.get_hooks(hooks.USER_DATA_EXPORT):
        section, section_data = fn(user)
        # A section never replaces one already exported (the account's own,
        # or another app's): the export must stay complete and truthful.
        key = section if section not in data else f"{section} ({fn.__module__})"
        data[key] = section_data
    data["exported_at"] = timezone.now().isoformat()
    return data


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account the GDPR way: the row stays so content and orders
    keep their author, but nothing personal remains and nobody can log in.
    Other apps minimise their own data through USER_ANONYMISE and UserDeleted."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at:
        return
    old_avatar = user.avatar.name if user.avatar else ""
    user.email = f"deleted-{user.pk}-{secrets.token_hex(4)}@deleted.invalid"
    user.display_name = ""
    user.bio = ""
    user.avatar = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = timezone.now()
    # A new (unusable) password changes the session auth hash, so every
    # session of this account is invalid from its next request on.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    for fn in hooks.get_hooks(hooks.USER_ANONYMISE):
        fn(user)
    publish(UserDeleted(user_id=user.pk))
    if old_avatar:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
