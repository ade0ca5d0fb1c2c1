"""Reviews' writes: writing and editing a review with photos, helpful
votes, the merchant's reply, and the product's rating row.

The rating row is recounted, never incremented: `rating_recount()` locks the
product's ProductRating row and counts the published reviews while holding
it. Two reviews written at once each recount after the other's commit (the
second waits for the lock, and its count then sees the first review), so
the row is exact however many are written concurrently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.events import MerchantReplied, ReviewVoted
from community.models import (
    ContentStatus,
    ProductRating,
    Review,
    ReviewPhoto,
    ReviewReplyRevision,
    ReviewVote,
)
from community.models.reviews import BODY_MAX, PHOTOS_MAX, STARS, TITLE_MAX
from community.permissions import is_moderator
from community.services.members import member_can_vote_check, member_posting_check
from community.services.moderation import (
    body_render,
    content_created,
    content_edit,
    content_remove,
    text_clean,
)
from core.events import publish
from core.exceptions import ApplicationError
from core.images import image_reencode
from shop import cache as shop_cache
from shop import selectors as shop_selectors

REPLY_PERMISSION = "community.reply_review"
REPLY_MAX = 5000
PHOTO_MAX_SIDE = 1600
THUMB_SIDE = 240


# ------------------------------------------------------------------ settings
def photo_max_bytes() -> int:
    return int(getattr(settings, "REVIEW_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def photo_max_pixels() -> int:
    return int(getattr(settings, "REVIEW_PHOTO_MAX_PIXELS", 40_000_000))


# ----------------------------------------------------------------- caching
def reviews_changed(*, product_id: int, slug: str | None = None, rating: bool = False) -> None:
    """After the commit: the product's review section is rendered afresh; when
    the rating moved, the product's page and every card list too."""
    from community.selectors.reviews import section_generation_bump

    def bump() -> None:
        section_generation_bump(product_id=product_id)
        product_slug = slug
        if product_slug is None:
            product_slug = (
                shop_selectors.Product.objects.filter(pk=product_id)
                .values_list("slug", flat=True)
                .first()
            )
        if product_slug:
            shop_cache.product_pages_changed(slugs=[product_slug], reason="reviews")
        if rating:
            shop_cache.catalog_changed(reason="rating")

    transaction.on_commit(bump, robust=True)


# ------------------------------------------------------------------ rating
def rating_recount(*, product_id: int) -> ProductRating:
    """Count the product's published reviews into its rating row, holding
    the row's lock. Call inside the transaction that changed a review."""
    rating, _created = ProductRating.objects.get_or_create(product_id=product_id)
    rating = ProductRating.objects.select_for_update().get(pk=rating.pk)
    rows = (
        Review.objects.filter(product_id=product_id, status=ContentStatus.PUBLISHED)
        .order_by()
        .values("stars")
        .annotate(n=Count("pk"))
    )
    histogram = dict.fromkeys(STARS, 0)
    for row in rows:
        histogram[row["stars"]] = row["n"]
    rating.count = sum(histogram.values())
    rating.sum = sum(stars * n for stars, n in histogram.items())
    rating.avg = (
        (Decimal(rating.sum) / Decimal(rating.count)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if rating.count
        else None
    )
    for stars, n in histogram.items():
        setattr(rating, f"stars_{stars}", n)
    rating.save()
    reviews_changed(product_id=product_id, rating=True)
    return rating


def review_photo_count_refresh(*, review_id: int) -> None:
    """The review's count of published photos ("with photos" filters on it)."""
    count = ReviewPhoto.objects.filter(review_id=review_id, status=ContentStatus.PUBLISHED).count()
    Review.objects.filter(pk=review_id).update(photo_count=count)
    product_id = Review.objects.filter(pk=review_id).values_list("product_id", flat=True).first()
    if product_id:
        reviews_changed(product_id=product_id)


# ------------------------------------------------------------------- input
def stars_clean(value) -> int:
    try:
        stars = int(str(value).strip())
    except (TypeError, ValueError):
        stars = 0
    if stars not in STARS:
        raise ApplicationError(_("Choose from 1 to 5 stars."), code="stars")
    return stars


def title_clean(value) -> str:
    return text_clean(value, label=_("Title"), max_length=TITLE_MAX)


def body_clean(value) -> str:
    return text_clean(value, label=_("Review"), max_length=BODY_MAX)


def photos_clean(uploads: Sequence, *, already: int = 0) -> list[tuple]:
    """Each upload re-encoded (EXIF dropped) into a photo and a thumbnail,
    before any transaction opens; ApplicationError naming the file otherwise."""
    uploads = [u for u in uploads if u]
    if already + len(uploads) > PHOTOS_MAX:
        raise ApplicationError(
            ngettext(
                "A review can have at most %(max)d photo.",
                "A review can have at most %(max)d photos.",
                PHOTOS_MAX,
            )
            % {"max": PHOTOS_MAX},
            code="too_many_photos",
        )
    cleaned = []
    for upload in uploads:
        name = getattr(upload, "name", "") or _("photo")
        try:
            image = image_reencode(
                upload,
                max_bytes=photo_max_bytes(),
                max_pixels=photo_max_pixels(),
                max_side=PHOTO_MAX_SIDE,
            )
            thumb = image_reencode(
                upload,
                max_bytes=photo_max_bytes(),
                max_pixels=photo_max_pixels(),
                square_size=THUMB_SIDE,
            )
        except ValidationError as error:
            raise ApplicationError(
                f"{name}: {' '.join(error.messages)}", code=error.code or "image"
            ) from None
        cleaned.append((image, thumb))
    return cleaned


def _photos_add(*, review: Review, cleaned: Iterable[tuple], pending: bool) -> list[ReviewPhoto]:
    from PIL import Image

    photos = []
    for image, thumb in cleaned:
        with Image.open(image) as probe:
            width, height = probe.size
        image.seek(0)
        photo = ReviewPhoto(
            review=review,
            author_id=review.author_id,
            status=ContentStatus.PENDING if pending else ContentStatus.PUBLISHED,
            width=width,
            height=height,
        )
        photo.image.save("photo.webp", image, save=False)
        photo.thumb.save("thumb.webp", thumb, save=False)
        photo.save()
        content_created(content=photo, pending=pending)
        photos.append(photo)
    return photos


def _has_review(*, product, user) -> bool:
    """A review that counts: deleted ones leave room for a new one."""
    return (
        Review.objects.filter(product=product, author=user)
        .exclude(status=ContentStatus.REMOVED)
        .exists()
    )


def _already_reviewed() -> ApplicationError:
    return ApplicationError(
        _("You have already reviewed this product; edit your review instead."),
        code="already_reviewed",
        status_code=409,
    )


# ------------------------------------------------------------------ writes
def review_create(*, user, product, stars, title: str, body: str, photos: Sequence = ()) -> Review:
    """A member's review of `product`: one per member per product (the
    database's unique constraint decides between two at once). Verified
    buyer is decided here from the member's paid orders."""
    stars = stars_clean(stars)
    title = title_clean(title)
    body = body_clean(body)
    cleaned = photos_clean(photos)
    with transaction.atomic():
        # Asked first so a second review hears why, not about posting limits;
        # asked again below, once the profile lock orders two writes at once.
        if _has_review(product=product, user=user):
            raise _already_reviewed()
        verified = shop_selectors.user_purchased(user_id=user.pk, product_id=product.pk)
        decision = member_posting_check(
            user=user, text=f"{title}\n{body}", images=len(cleaned), verified_buyer=verified
        )
        if _has_review(product=product, user=user):
            raise _already_reviewed()
        pending = decision.needs_approval
        review = Review(
            product=product,
            author=user,
            stars=stars,
            title=title,
            body_md=body,
            body_html=body_render(body),
            verified_buyer=verified,
            status=ContentStatus.PENDING if pending else ContentStatus.PUBLISHED,
        )
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:
            raise _already_reviewed() from None
        # Photos follow the review's fate: held with it, or public with it.
        _photos_add(review=review, cleaned=cleaned, pending=pending)
        review.photo_count = ReviewPhoto.objects.filter(
            review=review, status=ContentStatus.PUBLISHED
        ).count()
        if pending:
            # Its photos are not published: the count stays 0 until approval.
            review.photo_count = 0
        content_created(content=review, pending=pending)
        reviews_changed(product_id=product.pk, slug=product.slug)
    return review


def review_edit(
    *,
    review: Review,
    editor,
    stars,
    title: str,
    body: str,
    add_photos: Sequence = (),
    remove_photo_ids: Iterable[int] = (),
) -> Review:
    """Edit a review (its author within the edit window, or a moderator):
    the previous text and stars are kept (kernel content_edit); the rating
    is recounted when the stars of a published review changed."""
    stars = stars_clean(stars)
    title = title_clean(title)
    body = body_clean(body)
    remove_ids = {int(pk) for pk in remove_photo_ids}
    kept = (
        ReviewPhoto.objects.filter(review=review)
        .exclude(status=ContentStatus.REMOVED)
        .exclude(pk__in=remove_ids)
        .count()
    )
    cleaned = photos_clean(add_photos, already=kept)
    with transaction.atomic():
        before_stars = review.stars
        review = content_edit(
            content=review,
            editor=editor,
            changes={"title": title, "body_md": body, "stars": str(stars)},
        )
        for photo in ReviewPhoto.objects.filter(review=review, pk__in=remove_ids):
            content_remove(content=photo, actor=editor)
        if cleaned:
            if editor.pk == review.author_id:
                decision = member_posting_check(user=editor, images=len(cleaned), count=False)
                pending = decision.needs_approval or review.status == ContentStatus.PENDING
            else:
                pending = review.status == ContentStatus.PENDING
            _photos_add(review=review, cleaned=cleaned, pending=pending)
        if review.stars != before_stars and review.status == ContentStatus.PUBLISHED:
            rating_recount(product_id=review.product_id)
        reviews_changed(product_id=review.product_id)
        review.refresh_from_db()
    return review


def review_delete(*, review: Review, actor) -> Review:
    """Delete a review (kept as REMOVED for the audit history): the author
    within the edit window, or a moderator. The rating is recounted."""
    return content_remove(content=review, actor=actor)


# ------------------------------------------------------------------- votes
def _vote_target(review_id: int, voter) -> Review:
    member_can_vote_check(user=voter)
    review = Review.objects.filter(pk=review_id).first()
    if review is None or not review.is_public:
        raise ApplicationError(
            _("This review is not visible any more."), code="not_visible", status_code=404
        )
    if review.author_id == voter.pk:
        raise ApplicationError(
            _("You cannot vote on your own review."), code="own_review", status_code=403
        )
    return review


@transaction.atomic
def review_vote(*, review_id: int, voter) -> Review:
    """Mark a review helpful, once per member (the unique constraint decides
    between two votes at once; the second is refused with a message). The
    vote is withdrawn with `review_vote_withdraw()`."""
    review = _vote_target(review_id, voter)
    try:
        with transaction.atomic():
            ReviewVote.objects.create(review=review, voter=voter)
    except IntegrityError:
        raise ApplicationError(
            _("You have already marked this review helpful."), code="already_voted"
        ) from None
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    review.refresh_from_db(fields=["helpful_count"])
    publish(
        ReviewVoted(
            review_id=review.pk,
            voter_id=voter.pk,
            author_id=review.author_id,
            product_id=review.product_id,
            helpful=True,
        )
    )
    reviews_changed(product_id=review.product_id)
    return review


@transaction.atomic
def review_vote_withdraw(*, review_id: int, voter) -> Review:
    """Take back a helpful vote; nothing happens without one."""
    review = Review.objects.filter(pk=review_id).first()
    if review is None or not review.viewable_by(voter):
        raise ApplicationError(
            _("This review is not visible any more."), code="not_visible", status_code=404
        )
    deleted, _rows = ReviewVote.objects.filter(review=review, voter=voter).delete()
    if deleted:
        Review.objects.filter(pk=review.pk, helpful_count__gt=0).update(
            helpful_count=F("helpful_count") - 1
        )
        publish(
            ReviewVoted(
                review_id=review.pk,
                voter_id=voter.pk,
                author_id=review.author_id,
                product_id=review.product_id,
                helpful=False,
            )
        )
        reviews_changed(product_id=review.product_id)
    review.refresh_from_db(fields=["helpful_count"])
    return review


# ------------------------------------------------------------------- reply
def can_reply(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (is_moderator(user) or user.has_perm(REPLY_PERMISSION))
    )


@transaction.atomic
def review_reply(*, review: Review, staff, text: str) -> Review:
    """The shop's public reply under a review (empty text removes it). The
    first reply announces MerchantReplied; an edit keeps `replied_at` and
    sets `reply_edited_at`. An edit or a removal keeps the text it replaces,
    with who wrote it and when, as a ReviewReplyRevision."""
    if not can_reply(staff):
        raise ApplicationError(
            _("Only the shop's staff can reply to reviews."), code="forbidden", status_code=403
        )
    text = text_clean(text, label=_("Reply"), max_length=REPLY_MAX, required=False)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if text == review.reply_md:
        return review
    now = timezone.now()
    first = not review.reply_md
    if not first:
        ReviewReplyRevision.objects.create(
            review=review,
            change=ReviewReplyRevision.Change.EDIT if text else ReviewReplyRevision.Change.REMOVE,
            reply_md=review.reply_md,
            reply_by_id=review.reply_by_id,
            written_at=review.reply_edited_at or review.replied_at,
            editor=staff,
        )
    review.reply_md = text
    review.reply_html = body_render(text) if text else ""
    review.reply_by = staff if text else None
    if not text:
        review.replied_at = None
        review.reply_edited_at = None
    elif first:
        review.replied_at = now
        review.reply_edited_at = None
    else:
        review.reply_edited_at = now
    review.save(
        update_fields=[
            "reply_md",
            "reply_html",
            "reply_by",
            "replied_at",
            "reply_edited_at",
            "updated_at",
        ]
    )
    if text and first:
        publish(
            MerchantReplied(
                review_id=review.pk,
                author_id=review.author_id,
                product_id=review.product_id,
                staff_id=staff.pk,
            )
        )
    reviews_changed(product_id=review.product_id)
    return review


__all__ = [
    "rating_recount",
    "review_create",
    "review_delete",
    "review_edit",
    "review_reply",
    "review_vote",
    "review_vote_withdraw",
]
