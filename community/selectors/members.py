"""Who wrote it: the author line shown with every piece of content, built
for a whole page at once (one query for profiles, one for purchases, one
call of each MEMBER_MARKS hook), never once per item."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from community.models import MemberProfile
from core import hooks
from shop import selectors as shop_selectors


@dataclass
class Author:
    user_id: int
    name: str
    handle: str
    url: str
    avatar_url: str
    initial: str
    is_staff: bool = False
    verified_products: set[int] = field(default_factory=set)
    marks: list[dict] = field(default_factory=list)

    def verified_for(self, product_id: int | None) -> bool:
        return product_id is not None and product_id in self.verified_products


def authors_for(*, users: Iterable, product_ids: Iterable[int] = ()) -> dict[int, Author]:
    """Author lines for these users (model instances, already loaded with
    the content: `select_related("author")`), with "verified buyer" for each
    of `product_ids` they bought. Queries: one for profiles, one for
    purchases (when product ids are given), plus each MEMBER_MARKS hook once."""
    users = {u.pk: u for u in users if u is not None}
    if not users:
        return {}
    profiles = {
        p.user_id: p.handle
        for p in MemberProfile.objects.filter(user_id__in=users).only("user_id", "handle")
    }
    pairs = shop_selectors.purchased_pairs(user_ids=users, product_ids=product_ids)
    marks: dict[int, list[dict]] = {}
    for fn in hooks.get_hooks(hooks.MEMBER_MARKS):
        for user_id, user_marks in (fn(list(users)) or {}).items():
            marks.setdefault(user_id, []).extend(user_marks)
    authors = {}
    for user_id, user in users.items():
        handle = profiles.get(user_id, "")
        deleted = bool(getattr(user, "deleted_at", None))
        authors[user_id] = Author(
            user_id=user_id,
            name=user.public_name,
            handle="" if deleted else handle,
            url=_profile_url(handle) if handle and not deleted else "",
            avatar_url=user.avatar.url if user.avatar and not deleted else "",
            initial=(user.public_name[:1] or "?").upper(),
            is_staff=user.is_staff,
            verified_products={p for (u, p) in pairs if u == user_id},
            marks=marks.get(user_id, []),
        )
    return authors


def _profile_url(handle: str) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("community:profile", args=[handle])
    except NoReverseMatch:
        return ""


def users_by_id(user_ids: Iterable[int]) -> dict[int, object]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=set(user_ids))}


# ------------------------------------------------------------ public profile
# Each kind of content contributes the member's recent items to their public
# profile: fn(*, user, viewer, limit) -> {"code", "title", "count", "items":
# [{"title", "url", "date", "meta"}]}. Registered in community/apps.py.
_profile_activity: list = []


def profile_activity_register(fn) -> None:
    if fn not in _profile_activity:
        _profile_activity.append(fn)


@dataclass
class PublicProfile:
    user: object
    author: Author
    handle: str
    trust_level_label: str
    member_since: object
    bio: str
    products_bought: int
    activity: list[dict]
    sections: list[dict]


def public_profile(*, handle: str, viewer=None, limit: int = 5) -> PublicProfile | None:
    """What anyone may see of a member: never their email, nothing of a
    deleted account."""
    profile = (
        MemberProfile.objects.select_related("user")
        .filter(handle=handle.lower(), user__is_active=True, user__deleted_at__isnull=True)
        .first()
    )
    if profile is None:
        return None
    user = profile.user
    author = authors_for(users=[user])[user.pk]
    sections = []
    for fn in hooks.get_hooks(hooks.PROFILE_SECTIONS):
        sections.extend(fn(user=user) or [])
    activity = [fn(user=user, viewer=viewer, limit=limit) for fn in _profile_activity]
    return PublicProfile(
        user=user,
        author=author,
        handle=profile.handle,
        trust_level_label=profile.get_trust_level_display(),
        member_since=user.date_joined,
        bio=user.bio,
        products_bought=shop_selectors.purchased_product_count(user_id=user.pk),
        activity=[a for a in activity if a],
        sections=sections,
    )


def trust_levels(user_ids: Iterable[int]) -> dict[int, int]:
    """{user_id: trust level} of these members' profiles, in one query
    (answers core.hooks.MEMBER_TRUST_LEVELS)."""
    return dict(
        MemberProfile.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "trust_level"
        )
    )
