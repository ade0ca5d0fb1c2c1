"""What every piece of member content shares (reviews, review photos, forum
posts, questions, answers, polls): an author, a status that moderation moves,
a flag count, and an edit history.

The status is the only thing that decides who sees a piece of content:
PUBLISHED is public; PENDING waits in the moderation queue; HIDDEN (by a
moderator, or automatically after enough flags) and REMOVED (deleted by its
author or a moderator) are seen by their author and moderators only. Only the
services in community.services.moderation change it, so every change is
audited and announced (ContentRemoved, ContentRestored)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class ContentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden")
    REMOVED = "removed", _("Deleted")


class MemberContent(BaseModel):
    """Abstract base of member content. A concrete model sets `kind` (its
    code in flags, the moderation queue and events) and may override the
    methods below; its services create it through
    community.services.moderation.content_created()."""

    kind: ClassVar[str] = ""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    body_md = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("rendered text"), blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ContentStatus.choices,
        default=ContentStatus.PUBLISHED,
        db_index=True,
    )
    # Set the first time the content became public: the "published" event
    # goes out once, a later restore announces ContentRestored instead.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    flag_count = models.PositiveIntegerField(_("open flags"), default=0, editable=False)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True, editable=False)
    edit_count = models.PositiveIntegerField(_("edits"), default=0, editable=False)

    revisions = GenericRelation("community.Revision")

    class Meta:
        abstract = True

    # ------------------------------------------------------ per-kind behaviour
    @property
    def is_public(self) -> bool:
        return self.status == ContentStatus.PUBLISHED

    def product_id_for_events(self) -> int | None:
        """The shop product this content is about, if any."""
        return getattr(self, "product_id", None)

    def moderation_title(self) -> str:
        """One line for the moderation queue and the audit history."""
        title = getattr(self, "title", "") or self.body_md
        return " ".join(title.split())[:120]

    def revision_fields(self) -> dict[str, str]:
        """The member-written fields an edit may change, kept in revisions."""
        fields = {"body_md": self.body_md}
        if hasattr(self, "title"):
            fields["title"] = self.title
        return fields

    def published_event(self):
        """The event announcing this content's first publication (e.g.
        ReviewPublished), or None. Called inside the publishing transaction."""
        return None

    def visibility_changed(self) -> None:
        """Called inside the transaction after the status changed (e.g. to
        recount a product's rating). Default: nothing."""

    def viewable_by(self, user) -> bool:
        """Whether `user` may see it: public, or their own, or a moderator."""
        from community.permissions import is_moderator

        if self.is_public:
            return True
        if user is None or not user.is_authenticated:
            return False
        return self.author_id == user.pk or is_moderator(user)


class Revision(models.Model):
    """The fields of a piece of content as they were before one edit."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    fields = models.JSONField(_("previous text"))
    created_at = models.DateTimeField(_("edited at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} @ {self.created_at:%Y-%m-%d %H:%M}"
