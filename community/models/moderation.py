"""Moderation: flags, the one queue staff work through, the audit history,
members' standing (trust level, silence, ban) and the settings behind it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Flag(BaseModel):
    """One member's report of one piece of content (once per member)."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        RUDE = "rude", _("Rude or abusive")
        OFF_TOPIC = "off_topic", _("Off topic")
        FAKE = "fake", _("Fake or misleading")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AGREED = "agreed", _("Agreed")
        DISAGREED = "disagreed", _("Disagreed")
        IGNORED = "ignored", _("Ignored")

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    kind = models.CharField(_("kind"), max_length=32)
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_flags",
        verbose_name=_("flagged by"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "flagger"],
                name="community_flag_once_per_member",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.get_reason_display()}"


class QueueItem(BaseModel):
    """A piece of content waiting for a moderator: new content held for
    approval, or content members flagged (hidden automatically once enough
    of them did). At most one open item per piece of content."""

    class Reason(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        FLAGGED = "flagged", _("Flagged")
        AUTO_HIDDEN = "auto_hidden", _("Hidden after flags")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    excerpt = models.CharField(_("excerpt"), max_length=200, blank=True)
    flag_count = models.PositiveIntegerField(_("flags"), default=0)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=32, blank=True)

    class Meta:
        ordering = ["-flag_count", "created_at"]
        verbose_name = _("moderation queue item")
        verbose_name_plural = _("moderation queue")
        permissions = [("moderate", _("Can moderate community content"))]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(state="open"),
                name="community_queue_one_open_item",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.get_reason_display()})"


class ModerationAction(models.Model):
    """The audit history: who did what to which content or member, when and why."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        HIDE = "hide", _("Hidden")
        AUTO_HIDE = "auto_hide", _("Hidden after flags")
        RESTORE = "restore", _("Restored")
        REMOVE = "remove", _("Deleted")
        AGREE = "agree", _("Agreed with flags")
        DISAGREE = "disagree", _("Disagreed with flags")
        IGNORE = "ignore", _("Ignored flags")
        EDIT = "edit", _("Edited")
        SILENCE = "silence", _("Silenced member")
        BAN = "ban", _("Banned member")
        LIFT = "lift", _("Lifted silence or ban")
        TRUST = "trust", _("Changed trust level")
        PIN = "pin", _("Pinned")
        UNPIN = "unpin", _("Unpinned")
        LOCK = "lock", _("Locked")
        UNLOCK = "unlock", _("Unlocked")
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")
        MOVE = "move", _("Moved")
        DUPLICATE = "duplicate", _("Closed as duplicate")

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderator"),
        help_text=_("Empty when the system acted (e.g. hidden after flags)."),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("content type"),
    )
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
        help_text=_("The author of the content, or the member acted on."),
    )
    excerpt = models.CharField(_("excerpt"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation history")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.kind} {self.object_id or ''}".strip()


class TrustLevel(models.IntegerChoices):
    NEW = 0, _("New")
    BASIC = 1, _("Basic")
    MEMBER = 2, _("Member")


class CommunitySettings(models.Model):
    """The one row of community rules staff tune in the admin."""

    # Trust levels (after Discourse's TL0-TL2).
    tl1_min_days = models.PositiveIntegerField(
        _("days before Basic"), default=1, help_text=_("Account age for trust level Basic.")
    )
    tl1_min_published = models.PositiveIntegerField(
        _("published posts before Basic"),
        default=1,
        help_text=_("Published contributions (reviews, posts, questions, answers) for Basic."),
    )
    tl2_min_days = models.PositiveIntegerField(_("days before Member"), default=14)
    tl2_min_published = models.PositiveIntegerField(_("published posts before Member"), default=10)
    buyers_trusted = models.BooleanField(
        _("verified buyers publish at once"),
        default=True,
        help_text=_("A member with a paid order is at least Basic."),
    )
    # New members (trust level New).
    new_require_approval = models.BooleanField(
        _("hold new members' content for approval"), default=True
    )
    links_require_approval = models.BooleanField(
        _("hold new members' content with links for approval"), default=True
    )
    new_max_per_day = models.PositiveIntegerField(
        _("new members: posts per day"), default=10, validators=[MinValueValidator(1)]
    )
    new_max_links = models.PositiveIntegerField(_("new members: links per post"), default=2)
    new_max_images = models.PositiveIntegerField(_("new members: photos per post"), default=2)
    new_max_mentions = models.PositiveIntegerField(_("new members: mentions per post"), default=2)
    # Everyone.
    max_per_day = models.PositiveIntegerField(
        _("posts per day"), default=200, validators=[MinValueValidator(1)]
    )
    seconds_between_posts = models.PositiveIntegerField(
        _("seconds between posts"),
        default=10,
        help_text=_("For New and Basic members; 0 turns it off."),
    )
    max_mentions = models.PositiveIntegerField(_("mentions per post"), default=10)
    flags_to_hide = models.PositiveIntegerField(
        _("flags that hide content"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Content is hidden, pending review, once this many members flag it."),
    )
    edit_window_minutes = models.PositiveIntegerField(
        _("edit window (minutes)"),
        default=60 * 24,
        help_text=_("How long authors may edit or delete their own posts; 0: always."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("community settings")
        verbose_name_plural = _("community settings")

    def __str__(self) -> str:
        return str(_("Community settings"))

    @classmethod
    def current(cls) -> CommunitySettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row

    @property
    def edit_window(self) -> timedelta | None:
        return timedelta(minutes=self.edit_window_minutes) if self.edit_window_minutes else None


class MemberProfile(BaseModel):
    """A member's community standing and public handle (@handle)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_profile",
        verbose_name=_("member"),
    )
    handle = models.SlugField(_("handle"), max_length=40, unique=True)
    trust_level = models.PositiveSmallIntegerField(
        _("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    trust_level_locked = models.BooleanField(
        _("trust level set by staff"),
        default=False,
        help_text=_("Keep the trust level as set here instead of computing it."),
    )
    published_count = models.PositiveIntegerField(_("published contributions"), default=0)
    # Posting counters for the limits (under this row's lock).
    posts_day = models.DateField(_("posting day"), null=True, blank=True)
    posts_today = models.PositiveIntegerField(_("posts today"), default=0)
    last_posted_at = models.DateTimeField(_("last posted at"), null=True, blank=True)
    silenced_until = models.DateTimeField(
        _("silenced until"),
        null=True,
        blank=True,
        help_text=_("A silenced member can read but not post."),
    )
    banned_until = models.DateTimeField(
        _("banned until"),
        null=True,
        blank=True,
        help_text=_("A banned member can neither post nor vote."),
    )
    standing_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("member profile")
        verbose_name_plural = _("member profiles")

    def __str__(self) -> str:
        return f"@{self.handle}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("community:profile", args=[self.handle])

    def is_banned(self, now=None) -> bool:
        now = now or timezone.now()
        return self.banned_until is not None and self.banned_until > now

    def is_silenced(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_banned(now) or (
            self.silenced_until is not None and self.silenced_until > now
        )
