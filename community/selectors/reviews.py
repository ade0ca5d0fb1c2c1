"""Reviews' reads: a product's reviews sorted and filtered, the rating
expressions product cards read, and what a page of reviews needs around
them (author lines, photos, disclosures, the viewer's votes), each in one
query or hook call for the whole page."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import (
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils.translation import gettext_lazy as _

from community.models import ContentStatus, ProductRating, Review, ReviewPhoto, ReviewVote
from community.selectors.members import Author, authors_for
from core import hooks

SORTS = {
    "helpful": (_("Most helpful"), ("-helpful_count", "-created_at", "-pk")),
    "newest": (_("Newest"), ("-created_at", "-pk")),
    "highest": (_("Highest rated"), ("-stars", "-created_at", "-pk")),
    "lowest": (_("Lowest rated"), ("stars", "-created_at", "-pk")),
}
DEFAULT_SORT = "helpful"
PAGE_SIZE = 10
SECTION_REVIEWS = 5


# -------------------------------------------------------- rating for cards
def rating_annotations() -> dict:
    """core.hooks.PRODUCT_RATING_ANNOTATIONS: the product's rating row, read
    in the product query itself (no query per card)."""
    ratings = ProductRating.objects.filter(product_id=OuterRef("pk"), count__gt=0)
    return {
        "rating_avg": Subquery(
            ratings.values("avg")[:1], output_field=DecimalField(max_digits=3, decimal_places=2)
        ),
        "rating_count": Subquery(ratings.values("count")[:1], output_field=IntegerField()),
    }


def product_rating(*, product_id: int) -> ProductRating:
    """The product's rating row, or an empty one (not saved) before reviews."""
    return ProductRating.objects.filter(product_id=product_id).first() or ProductRating(
        product_id=product_id
    )


# ------------------------------------------------------------------ lists
@dataclass(frozen=True)
class ReviewFilters:
    sort: str = DEFAULT_SORT
    stars: int | None = None
    with_photos: bool = False
    verified: bool = False

    @property
    def active(self) -> bool:
        return self.stars is not None or self.with_photos or self.verified


def filters_from(params) -> ReviewFilters:
    """Filters from a query string; unknown values are ignored."""
    sort = params.get("sort") or DEFAULT_SORT
    if sort not in SORTS:
        sort = DEFAULT_SORT
    raw_stars = (params.get("stars") or "").strip()
    stars = int(raw_stars) if raw_stars in {"1", "2", "3", "4", "5"} else None
    truthy = {"1", "true", "on", "yes"}
    return ReviewFilters(
        sort=sort,
        stars=stars,
        with_photos=(params.get("photos") or "").lower() in truthy,
        verified=(params.get("verified") or "").lower() in truthy,
    )


def published_photos() -> Prefetch:
    return Prefetch(
        "photos",
        queryset=ReviewPhoto.objects.filter(status=ContentStatus.PUBLISHED).order_by("pk"),
        to_attr="public_photos",
    )


def product_reviews(*, product_id: int, filters: ReviewFilters = ReviewFilters()) -> QuerySet:
    """The product's published reviews, filtered and sorted, with authors
    and their published photos (two queries for any page)."""
    queryset = Review.objects.filter(product_id=product_id, status=ContentStatus.PUBLISHED)
    if filters.stars is not None:
        queryset = queryset.filter(stars=filters.stars)
    if filters.with_photos:
        queryset = queryset.filter(photo_count__gt=0)
    if filters.verified:
        queryset = queryset.filter(verified_buyer=True)
    return (
        queryset.select_related("author", "reply_by")
        .prefetch_related(published_photos())
        .order_by(*SORTS[filters.sort][1])
    )


def own_review(*, product_id: int, user) -> Review | None:
    """The member's own review of the product, whatever its status (with
    all their photos), or None."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Review.objects.filter(product_id=product_id, author=user)
        .exclude(status=ContentStatus.REMOVED)
        .select_related("author", "reply_by")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ReviewPhoto.objects.exclude(status=ContentStatus.REMOVED).order_by("pk"),
                to_attr="public_photos",
            )
        )
        .first()
    )


def review_for_viewer(*, review_id: int, user) -> Review | None:
    review = (
        Review.objects.filter(pk=review_id)
        .select_related("author", "product", "reply_by")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ReviewPhoto.objects.exclude(status=ContentStatus.REMOVED).order_by("pk"),
                to_attr="all_photos",
            )
        )
        .first()
    )
    if review is None or not review.viewable_by(user):
        return None
    review.public_photos = [p for p in review.all_photos if p.viewable_by(user)]
    return review


# --------------------------------------------------------- page decoration
@dataclass
class ReviewPage:
    """What a list of reviews shows around each review."""

    reviews: list[Review]
    authors: dict[int, Author] = field(default_factory=dict)
    incentivised: set[int] = field(default_factory=set)


def incentivised_ids(*, ids: Iterable[int]) -> set[int]:
    """Of these reviews, those whose author was rewarded for writing them
    (CONTENT_INCENTIVISED, asked once per page); empty without a hook."""
    ids = list(ids)
    if not ids:
        return set()
    found: set[int] = set()
    for fn in hooks.get_hooks(hooks.CONTENT_INCENTIVISED):
        found |= {int(pk) for pk in (fn(kind=Review.kind, ids=ids) or ())}
    return found


def review_page(
    *, reviews: Iterable[Review], product_id: int, launch_at: datetime | None = None
) -> ReviewPage:
    """Authors, the points disclosure and the early-access mark of the
    reviews shown (`launch_at`: the product's public launch, if it has one:
    a verified buyer's review written before it came from early access)."""
    reviews = list(reviews)
    authors = authors_for(users=[r.author for r in reviews], product_ids=[product_id])
    for review in reviews:
        review.author_line = authors.get(review.author_id)
    page = ReviewPage(
        reviews=reviews,
        authors=authors,
        incentivised=incentivised_ids(ids=[r.pk for r in reviews]),
    )
    for review in reviews:
        review.incentivised = review.pk in page.incentivised
        review.early_access = bool(
            launch_at and review.verified_buyer and review.created_at < launch_at
        )
    return page


@dataclass(frozen=True)
class ViewerState:
    """A signed-in member's parts of a shared review list."""

    own_review_id: int | None = None
    own_status: str = ""
    voted_ids: frozenset[int] = frozenset()


def viewer_state(*, user, product_id: int, review_ids: Iterable[int]) -> ViewerState:
    """The member's own review of the product and which of `review_ids` they
    found helpful: one query."""
    if user is None or not user.is_authenticated:
        return ViewerState()
    review_ids = list(review_ids)
    rows = (
        Review.objects.filter(
            Q(product_id=product_id, author_id=user.pk) | Q(pk__in=review_ids or [0])
        )
        .annotate(voted=Exists(ReviewVote.objects.filter(review=OuterRef("pk"), voter=user)))
        .values_list("pk", "author_id", "product_id", "status", "voted")
    )
    own_id, own_status, voted = None, "", set()
    for pk, author_id, row_product_id, status, has_vote in rows:
        if author_id == user.pk and row_product_id == product_id and status != "removed":
            own_id, own_status = pk, status
        if has_vote:
            voted.add(pk)
    return ViewerState(own_review_id=own_id, own_status=own_status, voted_ids=frozenset(voted))


# ------------------------------------------------- section cache generation
def _generation_key(product_id: int) -> str:
    return f"community:reviews:generation:{product_id}"


def section_generation(*, product_id: int) -> int:
    generation = cache.get(_generation_key(product_id))
    if generation is None:
        generation = time.time_ns()
        cache.add(_generation_key(product_id), generation, None)
        generation = cache.get(_generation_key(product_id), generation)
    return generation


def section_generation_bump(*, product_id: int) -> None:
    cache.set(_generation_key(product_id), time.time_ns(), None)


def voters_hidden_statuses() -> tuple[str, ...]:
    return (ContentStatus.HIDDEN, ContentStatus.REMOVED)
