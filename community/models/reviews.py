"""Product reviews: one per member per product, with photos (each moderated
on its own), helpful votes, the merchant's reply, and a denormalised rating
row per product that product cards and listings read in the same query.

Only PUBLISHED reviews count toward a product's rating; the row is recounted
under its lock whenever a review's status or stars change
(community.services.reviews.rating_recount)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.models.base import MemberContent

STARS = (1, 2, 3, 4, 5)
TITLE_MAX = 120
BODY_MAX = 5000
PHOTOS_MAX = 5


class Review(MemberContent):
    kind: ClassVar[str] = "review"

    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("product"),
    )
    stars = models.PositiveSmallIntegerField(
        _("stars"), choices=[(s, str(s)) for s in STARS], db_index=True
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    # Decided by the system when the review is written (a paid order holding
    # the product), never taken from the member's input.
    verified_buyer = models.BooleanField(_("verified buyer"), default=False, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0, editable=False)
    # Published photos only: what "with photos" filters on.
    photo_count = models.PositiveSmallIntegerField(_("photos"), default=0, editable=False)

    reply_md = models.TextField(_("merchant reply"), blank=True)
    reply_html = models.TextField(_("rendered reply"), blank=True, editable=False)
    reply_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replied by"),
        editable=False,
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True, editable=False)
    reply_edited_at = models.DateTimeField(
        _("reply edited at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        permissions = [("reply_review", "Can reply to reviews as the shop")]
        constraints = [
            # A review its author (or a moderator) deleted makes room for a new one.
            models.UniqueConstraint(
                fields=["product", "author"],
                condition=~Q(status="removed"),
                name="community_review_one_per_member_per_product",
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="community_review_stars_1_to_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "status", "-helpful_count", "-created_at"],
                name="community_review_helpful",
            ),
            models.Index(
                fields=["product", "status", "-created_at"], name="community_review_newest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("community:review_detail", args=[self.pk])

    # --------------------------------------------------------- kind behaviour
    def revision_fields(self) -> dict[str, str]:
        return {"title": self.title, "body_md": self.body_md, "stars": str(self.stars)}

    def published_event(self):
        from community.events import ReviewPublished

        return ReviewPublished(
            review_id=self.pk,
            author_id=self.author_id,
            product_id=self.product_id,
            stars=int(self.stars),
            verified_buyer=self.verified_buyer,
            photo_count=self.photo_count,
        )

    def visibility_changed(self) -> None:
        from community.services.reviews import rating_recount

        rating_recount(product_id=self.product_id)


def review_photo_path(instance: ReviewPhoto, filename: str) -> str:
    return f"reviews/{instance.review_id}/{uuid.uuid4().hex}.webp"


class ReviewPhoto(MemberContent):
    """A member's photo with their review; moderated on its own (a bad photo
    is hidden without hiding the review). `body_md` holds an optional caption."""

    kind: ClassVar[str] = "review_photo"

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="photos", verbose_name=_("review")
    )
    image = models.ImageField(_("photo"), upload_to=review_photo_path)
    thumb = models.ImageField(upload_to=review_photo_path, editable=False, blank=True)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")

    def __str__(self) -> str:
        return f"Photo {self.pk} of review {self.review_id}"

    def get_absolute_url(self) -> str:
        return reverse("community:review_detail", args=[self.review_id])

    def product_id_for_events(self) -> int | None:
        return self.review.product_id

    def moderation_title(self) -> str:
        caption = " ".join(self.body_md.split())
        return (caption or str(_("Photo of review %(id)s") % {"id": self.review_id}))[:120]

    def revision_fields(self) -> dict[str, str]:
        return {"body_md": self.body_md}

    def viewable_by(self, user) -> bool:
        """Its own status, and its review's: a hidden review hides its photos."""
        return super().viewable_by(user) and self.review.viewable_by(user)

    def visibility_changed(self) -> None:
        from community.services.reviews import review_photo_count_refresh

        review_photo_count_refresh(review_id=self.review_id)


class ReviewVote(models.Model):
    """One member finds a review helpful (once)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "voter"], name="community_review_vote_once_per_member"
            )
        ]
        indexes = [models.Index(fields=["voter", "review"])]

    def __str__(self) -> str:
        return f"{self.voter_id} → review {self.review_id}"


class ReviewReplyRevision(models.Model):
    """The shop's reply under a review as it was before one change: an edit
    or its removal (community.services.reviews.review_reply). Kept apart
    from the review's Revision rows, which hold the author's own fields."""

    class Change(models.TextChoices):
        EDIT = "edit", _("Reply edited")
        REMOVE = "remove", _("Reply removed")

    review = models.ForeignKey(
        Review,
        on_delete=models.CASCADE,
        related_name="reply_revisions",
        verbose_name=_("review"),
    )
    change = models.CharField(_("change"), max_length=8, choices=Change.choices)
    reply_md = models.TextField(_("previous reply"))
    reply_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    written_at = models.DateTimeField(_("written at"), null=True, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reply revision")
        verbose_name_plural = _("reply revisions")

    def __str__(self) -> str:
        return f"reply of review {self.review_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class ProductRating(models.Model):
    """A product's published reviews, counted: what cards, listings, the
    rating filter and sort, and the JSON-LD read (one row per product)."""

    product = models.OneToOneField(
        "shop.Product",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rating_summary",
        verbose_name=_("product"),
    )
    count = models.PositiveIntegerField(_("reviews"), default=0)
    sum = models.PositiveIntegerField(_("sum of stars"), default=0)
    avg = models.DecimalField(_("average"), max_digits=3, decimal_places=2, null=True, blank=True)
    stars_1 = models.PositiveIntegerField(_("1 star"), default=0)
    stars_2 = models.PositiveIntegerField(_("2 stars"), default=0)
    stars_3 = models.PositiveIntegerField(_("3 stars"), default=0)
    stars_4 = models.PositiveIntegerField(_("4 stars"), default=0)
    stars_5 = models.PositiveIntegerField(_("5 stars"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product rating")
        verbose_name_plural = _("product ratings")

    def __str__(self) -> str:
        return f"{self.product_id}: {self.avg} ({self.count})"

    def histogram(self) -> list[dict]:
        """Five rows, 5 stars first: stars, count, percent (whole number)."""
        rows = []
        for stars in reversed(STARS):
            count = getattr(self, f"stars_{stars}")
            percent = round(100 * count / self.count) if self.count else 0
            rows.append({"stars": stars, "count": count, "percent": percent})
        return rows
