"""Members' community standing: handle, trust level, posting limits, silence
and ban. Every content service calls `member_posting_check()` inside its
transaction before it writes, so the limits hold under concurrent posts (the
member's profile row is locked while they are counted)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.permissions import has_verified_email
from community.models import CommunitySettings, MemberProfile, ModerationAction, TrustLevel
from community.permissions import is_moderator
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

HANDLE_MAX = 30
MENTION_PATTERN = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9_-]{1,39})", re.IGNORECASE)
LINK_PATTERN = re.compile(r"(https?://|www\.|mailto:)", re.IGNORECASE)


# ------------------------------------------------------------------ profile
def _handle_base(user) -> str:
    """From the display name, else the member's number (as their public
    name): never from the email address, whose local part the handle, shown
    in profile links and @mentions, would give away."""
    base = slugify(user.display_name).replace("-", "_")[:HANDLE_MAX].strip("_")
    return base if len(base) >= 2 else f"member{user.pk}"


def member_profile(*, user) -> MemberProfile:
    """The member's profile, created with a free handle on first use."""
    profile = MemberProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    base = _handle_base(user)
    candidates = [base, f"{base[: HANDLE_MAX - 10]}_{user.pk}"]
    candidates += [f"{base[: HANDLE_MAX - 14]}_{user.pk}_{n}" for n in range(2, 20)]
    for handle in candidates:
        try:
            with transaction.atomic():
                return MemberProfile.objects.create(user=user, handle=handle)
        except IntegrityError:
            profile = MemberProfile.objects.filter(user=user).first()
            if profile is not None:  # created concurrently
                return profile
    raise RuntimeError(f"No free handle for user {user.pk}")


def profiles_for(*, user_ids) -> dict[int, MemberProfile]:
    """Existing profiles of these members, one query (for author lines)."""
    return {p.user_id: p for p in MemberProfile.objects.filter(user_id__in=set(user_ids))}


def handles_resolve(*, handles) -> dict[str, int]:
    """@handle (lower case) -> user id, for the handles that exist."""
    handles = {h.lower() for h in handles}
    if not handles:
        return {}
    return dict(
        MemberProfile.objects.filter(handle__in=handles, user__is_active=True).values_list(
            "handle", "user_id"
        )
    )


def mentions_in(text: str) -> list[str]:
    """The distinct @handles written in `text` (outside code is not
    distinguished: a handle in a code block still counts)."""
    seen: list[str] = []
    for match in MENTION_PATTERN.finditer(text or ""):
        handle = match.group(1).lower()
        if handle not in seen:
            seen.append(handle)
    return seen


def links_in(text: str) -> int:
    return len(LINK_PATTERN.findall(text or ""))


# -------------------------------------------------------------- trust level
def trust_level_compute(*, profile: MemberProfile, user, rules: CommunitySettings) -> int:
    if profile.trust_level_locked:
        return profile.trust_level
    if user.is_staff:
        return TrustLevel.MEMBER
    age = timezone.now() - user.date_joined
    level = TrustLevel.NEW
    if age >= timedelta(days=rules.tl1_min_days) and (
        profile.published_count >= rules.tl1_min_published
    ):
        level = TrustLevel.BASIC
    if age >= timedelta(days=rules.tl2_min_days) and (
        profile.published_count >= rules.tl2_min_published
    ):
        level = TrustLevel.MEMBER
    if (
        level == TrustLevel.NEW
        and rules.buyers_trusted
        and shop_selectors.buyer_ids(user_ids=[user.pk])
    ):
        level = TrustLevel.BASIC
    return level


@dataclass(frozen=True)
class PostingDecision:
    """What the limits decided for one new piece of content."""

    needs_approval: bool
    trust_level: int


def member_posting_check(
    *,
    user,
    text: str = "",
    images: int = 0,
    count: bool = True,
    verified_buyer: bool = False,
) -> PostingDecision:
    """Refuse (ApplicationError, with a message for the member) when the
    member may not post this now: banned or silenced, over the daily limit,
    too fast, too many links, photos or mentions for a new member. Otherwise
    count the post (when `count`) and say whether it waits for approval.

    Call inside the transaction that writes the content: the member's
    profile row stays locked until it commits, so two posts at once are
    counted one after the other, and a refused or failed write counts
    nothing."""
    if user is None or not user.is_authenticated:
        raise ApplicationError(_("Sign in to post."), code="not_authenticated")
    if not user.is_active or getattr(user, "deleted_at", None):
        raise ApplicationError(_("This account cannot post."), code="account_inactive")
    # Staff accounts are made by the shop (createsuperuser, the admin), not
    # through sign-up, so they carry no confirmation.
    if not user.is_staff and not has_verified_email(user):
        raise ApplicationError(
            _(
                "Please verify your email address before posting: open the link we sent "
                "you, or send it again from your email settings."
            ),
            code="email_not_verified",
            status_code=403,
        )
    rules = CommunitySettings.current()
    member_profile(user=user)
    profile = MemberProfile.objects.select_for_update().get(user=user)
    now = timezone.now()
    if profile.is_banned(now):
        raise ApplicationError(
            _("You are banned from the community until %(until)s.")
            % {"until": date_format(timezone.localtime(profile.banned_until), "DATETIME_FORMAT")}
            + _standing_reason(profile),
            code="banned",
            status_code=403,
        )
    if profile.is_silenced(now):
        raise ApplicationError(
            _("You cannot post until %(until)s.")
            % {"until": date_format(timezone.localtime(profile.silenced_until), "DATETIME_FORMAT")}
            + _standing_reason(profile),
            code="silenced",
            status_code=403,
        )
    moderator = is_moderator(user)
    level = trust_level_compute(profile=profile, user=user, rules=rules)
    if verified_buyer and rules.buyers_trusted:
        level = max(level, TrustLevel.BASIC)
    today = timezone.localdate(now)
    posts_today = profile.posts_today if profile.posts_day == today else 0
    new = level == TrustLevel.NEW and not moderator
    links = links_in(text)
    mentions = len(mentions_in(text))
    if not moderator:
        limit = rules.new_max_per_day if new else rules.max_per_day
        if count and posts_today >= limit:
            raise ApplicationError(
                ngettext(
                    "You can post %(limit)d time a day; try again tomorrow.",
                    "You can post %(limit)d times a day; try again tomorrow.",
                    limit,
                )
                % {"limit": limit},
                code="daily_limit",
                status_code=429,
            )
        wait = rules.seconds_between_posts
        if (
            count
            and wait
            and level < TrustLevel.MEMBER
            and profile.last_posted_at is not None
            and now - profile.last_posted_at < timedelta(seconds=wait)
        ):
            remaining = wait - int((now - profile.last_posted_at).total_seconds())
            raise ApplicationError(
                ngettext(
                    "You are posting too fast; wait %(seconds)d second.",
                    "You are posting too fast; wait %(seconds)d seconds.",
                    remaining,
                )
                % {"seconds": remaining},
                code="too_fast",
                status_code=429,
            )
        max_mentions = (
            min(rules.new_max_mentions, rules.max_mentions) if new else rules.max_mentions
        )
        if mentions > max_mentions:
            raise ApplicationError(
                ngettext(
                    "You can mention at most %(limit)d member in a post.",
                    "You can mention at most %(limit)d members in a post.",
                    max_mentions,
                )
                % {"limit": max_mentions},
                code="too_many_mentions",
            )
        if new and links > rules.new_max_links:
            raise ApplicationError(
                ngettext(
                    "New members can add at most %(limit)d link to a post.",
                    "New members can add at most %(limit)d links to a post.",
                    rules.new_max_links,
                )
                % {"limit": rules.new_max_links},
                code="too_many_links",
            )
        if new and images > rules.new_max_images:
            raise ApplicationError(
                ngettext(
                    "New members can add at most %(limit)d photo to a post.",
                    "New members can add at most %(limit)d photos to a post.",
                    rules.new_max_images,
                )
                % {"limit": rules.new_max_images},
                code="too_many_images",
            )
    needs_approval = new and (
        rules.new_require_approval or (rules.links_require_approval and links > 0)
    )
    updates = {"trust_level": level}
    if count:
        updates.update(posts_day=today, posts_today=posts_today + 1, last_posted_at=now)
    MemberProfile.objects.filter(pk=profile.pk).update(**updates)
    return PostingDecision(needs_approval=needs_approval, trust_level=level)


def member_can_vote_check(*, user) -> None:
    """Refuse a vote, like or flag from a banned or inactive member."""
    if user is None or not user.is_authenticated:
        raise ApplicationError(_("Sign in to vote."), code="not_authenticated")
    if not user.is_active or getattr(user, "deleted_at", None):
        raise ApplicationError(_("This account cannot vote."), code="account_inactive")
    profile = MemberProfile.objects.filter(user=user).only("banned_until").first()
    if profile is not None and profile.is_banned():
        raise ApplicationError(
            _("You are banned from the community until %(until)s.")
            % {"until": date_format(timezone.localtime(profile.banned_until), "DATETIME_FORMAT")},
            code="banned",
            status_code=403,
        )


def _standing_reason(profile: MemberProfile) -> str:
    if not profile.standing_reason:
        return ""
    return " " + _("Reason: %(reason)s") % {"reason": profile.standing_reason}


def member_published_count_add(*, user_id: int, delta: int) -> None:
    """Count (or uncount) a published contribution toward trust levels."""
    updated = MemberProfile.objects.filter(user_id=user_id).update(
        published_count=F("published_count") + delta
    )
    if not updated and delta > 0:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=user_id)
        member_profile(user=user)
        MemberProfile.objects.filter(user_id=user_id).update(
            published_count=F("published_count") + delta
        )
    if delta < 0:
        MemberProfile.objects.filter(user_id=user_id, published_count__lt=0).update(
            published_count=0
        )


# --------------------------------------------------------- silence and ban
@transaction.atomic
def member_restrict(*, moderator, user, action: str, until, reason: str) -> MemberProfile:
    """Silence (cannot post) or ban (cannot post or vote) a member until a
    time, with a reason the member is shown; `action` "lift" ends both."""
    if not is_moderator(moderator):
        raise ApplicationError(_("Only moderators can do this."), code="forbidden", status_code=403)
    if user.pk == moderator.pk:
        raise ApplicationError(_("You cannot restrict yourself."), code="self")
    reason = (reason or "").strip()
    if action != ModerationAction.Action.LIFT and not reason:
        raise ApplicationError(_("Give a reason; the member is shown it."), code="reason")
    if action != ModerationAction.Action.LIFT and (until is None or until <= timezone.now()):
        raise ApplicationError(_("Choose a time in the future."), code="until")
    member_profile(user=user)
    profile = MemberProfile.objects.select_for_update().get(user=user)
    if action == ModerationAction.Action.SILENCE:
        profile.silenced_until = until
    elif action == ModerationAction.Action.BAN:
        profile.banned_until = until
    elif action == ModerationAction.Action.LIFT:
        profile.silenced_until = None
        profile.banned_until = None
    else:
        raise ValueError(f"Unknown restriction {action!r}")
    profile.standing_reason = reason if action != ModerationAction.Action.LIFT else ""
    profile.save(update_fields=["silenced_until", "banned_until", "standing_reason", "updated_at"])
    ModerationAction.objects.create(
        moderator=moderator,
        action=action,
        member=user,
        reason=reason,
        data={"until": until.isoformat() if until else None},
    )
    return profile
