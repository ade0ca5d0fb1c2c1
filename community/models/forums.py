"""Forums: categories of threads, threads of posts, likes, read positions and
watches (Discourse's model, kept small).

A thread is visible when its opening post (number 1) is: the thread's
`status` mirrors that post's, so hiding or deleting the opening post hides
the thread, and restoring it brings the thread back. Replies are numbered
1, 2, 3... within their thread, without gaps (numbers are handed out under
the thread's row lock and never reused, whatever happens to a post later).

Counters (a thread's replies, a category's threads and posts) count public
content only; they are recounted under the category's row lock whenever a
post's visibility changes (Post.visibility_changed), so they stay right
under moderation, moves and concurrent replies."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from community.models.base import ContentStatus, MemberContent
from core.models import BaseModel


class ForumCategory(BaseModel):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=90, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    position = models.PositiveIntegerField(_("position"), default=0, db_index=True)
    shop_category = models.ForeignKey(
        "shop.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shop category"),
        help_text=_("Optional: threads here are about this part of the shop."),
    )
    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
        help_text=_("Optional: new threads here are about this product by default."),
    )
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)
    post_count = models.PositiveIntegerField(_("posts"), default=0, editable=False)
    last_post_at = models.DateTimeField(_("last post"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:forum_category", args=[self.slug])


class TaggedThread(TaggedItemBase):
    content_object = models.ForeignKey("Thread", on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("tagged thread")
        verbose_name_plural = _("tagged threads")
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="community_taggedthread_unique"
            )
        ]


class Thread(BaseModel):
    category = models.ForeignKey(
        ForumCategory, on_delete=models.PROTECT, related_name="threads", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, allow_unicode=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    tags = TaggableManager(_("tags"), through=TaggedThread, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(
        _("locked"), default=False, help_text=_("Moderators locked it: no replies, no edits.")
    )
    closed = models.BooleanField(
        _("closed"), default=False, help_text=_("The discussion is over: no new replies.")
    )
    # Mirrors the opening post's status: a thread is public when it is.
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ContentStatus.choices,
        default=ContentStatus.PUBLISHED,
        db_index=True,
    )
    reply_count = models.PositiveIntegerField(_("replies"), default=0, editable=False)
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)
    # The last number handed out (never reused, so numbers have no gaps).
    last_number = models.PositiveIntegerField(_("posts written"), default=0, editable=False)
    last_post = models.ForeignKey(
        "Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("last post"),
    )
    last_post_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-pinned", "-last_post_at", "-pk"]
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(
                fields=["category", "status", "-pinned", "-last_post_at"],
                name="community_thread_listing",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:forum_thread", args=[self.pk, self.slug or "t"])

    @property
    def is_public(self) -> bool:
        return self.status == ContentStatus.PUBLISHED

    @property
    def accepts_replies(self) -> bool:
        return not (self.locked or self.closed)

    @property
    def page_namespace(self) -> str:
        return f"community:thread:{self.pk}"


class Post(MemberContent):
    kind: ClassVar[str] = "post"

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread")
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("in reply to"),
    )
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)
    verified_owner = models.BooleanField(
        _("verified owner"),
        default=False,
        editable=False,
        help_text=_("The author bought the thread's product here."),
    )

    class Meta:
        ordering = ["thread", "number"]
        verbose_name = _("forum post")
        verbose_name_plural = _("forum posts")
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="community_post_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="community_post_number_gte_1"),
        ]
        indexes = [models.Index(fields=["thread", "status", "number"])]

    def __str__(self) -> str:
        return f"{self.thread_id} #{self.number}"

    def get_absolute_url(self) -> str:
        from community.selectors.forums import post_url

        return post_url(self)

    # ------------------------------------------------------ per-kind behaviour
    def product_id_for_events(self) -> int | None:
        return self.thread.product_id

    def moderation_title(self) -> str:
        text = self.body_md if self.number != 1 else f"{self.thread.title}: {self.body_md}"
        return " ".join(text.split())[:120]

    def published_event(self):
        from community.services.forums import post_published_event

        return post_published_event(self)

    def visibility_changed(self) -> None:
        from community.services.forums import thread_recount

        thread_recount(thread_id=self.thread_id)


class PostLike(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="likes", verbose_name=_("post")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    created_at = models.DateTimeField(_("liked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="community_postlike_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class ThreadRead(models.Model):
    """How far a member has read a thread (the highest post number seen)."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="reads", verbose_name=_("thread")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    last_read_post_number = models.PositiveIntegerField(_("last post read"), default=0)
    updated_at = models.DateTimeField(_("read at"), auto_now=True)

    class Meta:
        verbose_name = _("read position")
        verbose_name_plural = _("read positions")
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="community_threadread_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} to #{self.last_read_post_number}"


class Watch(models.Model):
    """A member follows a thread or a whole category: new posts there are
    for them (the notification centre asks `watchers_for_post`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    thread = models.ForeignKey(
        Thread,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watches",
        verbose_name=_("thread"),
    )
    category = models.ForeignKey(
        ForumCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watches",
        verbose_name=_("category"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, category__isnull=True)
                | Q(thread__isnull=True, category__isnull=False),
                name="community_watch_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="community_watch_thread_once",
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=Q(category__isnull=False),
                name="community_watch_category_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.thread_id or self.category_id}"
