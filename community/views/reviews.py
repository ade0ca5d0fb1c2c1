"""Reviews on the site: the product page's section, a product's reviews
page, one review, writing and editing a review, helpful votes, and the
signed link of the review-request email."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community.models import ContentStatus, Review
from community.models.reviews import BODY_MAX, PHOTOS_MAX, STARS, TITLE_MAX
from community.reading import REVIEW, reads_record
from community.selectors import reviews as selectors
from community.services import reviews as services
from community.services.moderation import content_can_edit
from community.services.review_requests import review_link_load
from community.views.moderation import safe_next
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

ACTIONS_HOLE = "<!--kp-review-actions:%d-->"
PHOTO_FLAG_HOLE = "<!--kp-photo-flag:%d-->"
CTA_HOLE = "<!--kp-review-cta-->"
SECTION_SECONDS = 24 * 3600


# ------------------------------------------------------------------- forms
class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[(s, str(s)) for s in reversed(STARS)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose from 1 to 5 stars.")},
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=TITLE_MAX,
        help_text=gettext_lazy("Sum it up in a few words."),
    )
    body = forms.CharField(
        label=gettext_lazy("Your review"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("What did you like or dislike? Markdown works."),
    )


# ------------------------------------------------------------- the section
def _section_shared(product, rating) -> dict:
    """The section as every visitor sees it, rendered once per product,
    review generation and language, with holes for the member's parts."""
    generation = selectors.section_generation(product_id=product.pk)
    key = f"community:reviews:section:{product.pk}:{generation}:{get_language()}"
    shared = cache.get(key)
    if shared is not None:
        return shared
    reviews = list(selectors.product_reviews(product_id=product.pk)[: selectors.SECTION_REVIEWS])
    selectors.review_page(reviews=reviews, product_id=product.pk, launch_at=product.available_from)
    html = render_to_string(
        "community/reviews/_section.html",
        {
            "product": product,
            "rating": rating,
            "histogram": rating.histogram(),
            "reviews": reviews,
            "actions_hole": True,
            "cta_hole": CTA_HOLE,
        },
    )
    shared = {
        "html": html,
        "helpful": {r.pk: r.helpful_count for r in reviews},
        # Each shown photo's author: whose flag control it gets.
        "photos": {p.pk: p.author_id for r in reviews for p in r.public_photos},
        "count": rating.count,
    }
    cache.set(key, shared, SECTION_SECONDS)
    return shared


def _member_context(request) -> dict:
    # The holes are rendered without the request's context processors (a
    # few times per page): only what the vote and flag forms read.
    return {"request": request, "user": request.user, "csrf_token": get_token(request)}


def _actions_html(request, *, review_id: int, helpful_count: int, state) -> str:
    return render_to_string(
        "community/reviews/_actions.html",
        {
            "review_id": review_id,
            "helpful_count": helpful_count,
            "voted": review_id in state.voted_ids,
            "own": review_id == state.own_review_id,
            **_member_context(request),
        },
    )


def _photo_flags_fill(html: str, *, request, photos: dict[int, int]) -> str:
    """Each photo's flag control: for a signed-in member, on others' photos."""
    user = request.user
    for photo_id, author_id in photos.items():
        control = ""
        if user.is_authenticated and author_id != user.pk:
            control = render_to_string(
                "community/reviews/_photo_flag.html",
                {"photo_id": photo_id, **_member_context(request)},
            )
        html = html.replace(PHOTO_FLAG_HOLE % photo_id, control)
    return html


def product_reviews_section(*, request, product) -> list[dict]:
    """core.hooks.PRODUCT_PAGE_SECTIONS: the rating summary, the most
    helpful reviews and the member's own call to action. Shared HTML from
    the cache; a signed-in member's parts (votes, flags on reviews and
    photos, the call to action) cost one query."""
    rating = selectors.product_rating(product_id=product.pk)
    shared = _section_shared(product, rating)
    user = request.user
    reads_record(user=user, product_id=product.pk, items=[(REVIEW, pk) for pk in shared["helpful"]])
    state = selectors.viewer_state(
        user=user, product_id=product.pk, review_ids=list(shared["helpful"])
    )
    html = shared["html"]
    for review_id, helpful_count in shared["helpful"].items():
        if user.is_authenticated:
            actions = _actions_html(
                request, review_id=review_id, helpful_count=helpful_count, state=state
            )
        else:
            actions = render_to_string(
                "community/reviews/_actions_visitor.html",
                {"product": product, "review_id": review_id, "helpful_count": helpful_count},
            )
        html = html.replace(ACTIONS_HOLE % review_id, actions)
    html = _photo_flags_fill(html, request=request, photos=shared.get("photos", {}))
    cta = render_to_string(
        "community/reviews/_cta.html",
        {"product": product, "state": state, "user": user},
    )
    html = html.replace(CTA_HOLE, cta)
    return [
        {
            "code": "reviews",
            "title": _("Reviews"),
            "count": shared["count"],
            "html": mark_safe(html),
        }
    ]


# ------------------------------------------------------------------ pages
def _product_or_404(request, slug: str):
    product = shop_selectors.product_get_for_page(slug=slug, user=request.user)
    if product is None:
        raise Http404(_("No such product."))
    return product


def _decorate_for_viewer(request, reviews, product, state) -> None:
    for review in reviews:
        review.viewer_voted = review.pk in state.voted_ids
        review.viewer_own = review.pk == state.own_review_id
        review.can_edit = review.viewer_own and content_can_edit(user=request.user, content=review)


@require_safe
def review_list(request: HttpRequest, slug: str) -> HttpResponse:
    product = _product_or_404(request, slug)
    filters = selectors.filters_from(request.GET)
    paginator = Paginator(
        selectors.product_reviews(product_id=product.pk, filters=filters), selectors.PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    reviews = list(page.object_list)
    own = selectors.own_review(product_id=product.pk, user=request.user)
    own_hidden = own if own is not None and own.status != ContentStatus.PUBLISHED else None
    listed = [*reviews, *([own_hidden] if own_hidden else [])]
    selectors.review_page(reviews=listed, product_id=product.pk, launch_at=product.available_from)
    state = selectors.viewer_state(
        user=request.user, product_id=product.pk, review_ids=[r.pk for r in reviews]
    )
    _decorate_for_viewer(request, listed, product, state)
    reads_record(user=request.user, product_id=product.pk, items=[(REVIEW, r.pk) for r in reviews])
    rating = selectors.product_rating(product_id=product.pk)
    return render(
        request,
        "community/reviews/list.html",
        {
            "product": product,
            "rating": rating,
            "histogram": rating.histogram(),
            "page": page,
            "reviews": reviews,
            "own_hidden": own_hidden,
            "state": state,
            "filters": filters,
            "sorts": [(key, label) for key, (label, _order) in selectors.SORTS.items()],
            "star_choices": list(reversed(STARS)),
        },
    )


@require_safe
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for_viewer(review_id=pk, user=request.user)
    if review is None:
        raise Http404(_("No such review."))
    selectors.review_page(
        reviews=[review], product_id=review.product_id, launch_at=review.product.available_from
    )
    state = selectors.viewer_state(
        user=request.user, product_id=review.product_id, review_ids=[review.pk]
    )
    _decorate_for_viewer(request, [review], review.product, state)
    if review.status == ContentStatus.PUBLISHED:
        reads_record(user=request.user, product_id=review.product_id, items=[(REVIEW, review.pk)])
    return render(
        request,
        "community/reviews/detail.html",
        {"review": review, "product": review.product, "state": state},
    )


def _photo_uploads(request) -> list:
    return [f for f in request.FILES.getlist("photos") if f]


@login_required
def review_write(request: HttpRequest, slug: str) -> HttpResponse:
    """Write a review of the product, or edit the member's own."""
    product = _product_or_404(request, slug)
    review = selectors.own_review(product_id=product.pk, user=request.user)
    if review is not None and not content_can_edit(user=request.user, content=review):
        messages.error(request, _("Your review can no longer be edited."))
        return redirect(review.get_absolute_url())
    error = ""
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if review is None:
                    review = services.review_create(
                        user=request.user,
                        product=product,
                        stars=data["stars"],
                        title=data["title"],
                        body=data["body"],
                        photos=_photo_uploads(request),
                    )
                    done = _("Thank you for your review.")
                else:
                    review = services.review_edit(
                        review=review,
                        editor=request.user,
                        stars=data["stars"],
                        title=data["title"],
                        body=data["body"],
                        add_photos=_photo_uploads(request),
                        remove_photo_ids=[
                            int(v) for v in request.POST.getlist("remove_photo") if v.isdigit()
                        ],
                    )
                    done = _("Your review was updated.")
            except ApplicationError as exc:
                error = exc.message
            else:
                if review.status == ContentStatus.PENDING:
                    done += " " + _("It will appear once a moderator has approved it.")
                messages.success(request, done)
                return redirect(reverse("community:review_list", args=[product.slug]))
        if _photo_uploads(request):
            note = _("Choose your photos again: browsers do not keep them.")
            error = f"{error} {note}".strip()
    elif review is not None:
        form = ReviewForm(
            initial={"stars": review.stars, "title": review.title, "body": review.body_md}
        )
    else:
        form = ReviewForm()
    photos = getattr(review, "public_photos", []) if review is not None else []
    status = 400 if request.method == "POST" else 200  # an invalid form is a 400
    return render(
        request,
        "community/reviews/form.html",
        {
            "product": product,
            "review": review,
            "form": form,
            "error": error,
            "photos": photos,
            "photos_max": PHOTOS_MAX,
            "photos_left": PHOTOS_MAX - len(photos),
            "verified": shop_selectors.user_purchased(
                user_id=request.user.pk, product_id=product.pk
            ),
        },
        status=status,
    )


@require_POST
@login_required
def review_delete(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for_viewer(review_id=pk, user=request.user)
    if review is None:
        raise Http404(_("No such review."))
    try:
        services.review_delete(review=review, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(review.get_absolute_url())
    messages.success(request, _("Your review was deleted."))
    return redirect(reverse("community:review_list", args=[review.product.slug]))


@require_POST
@login_required
def review_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Helpful, or withdraw the vote (`action=withdraw`). With htmx the
    button is swapped in place; without JavaScript, back to the page."""
    withdraw = request.POST.get("action") == "withdraw"
    error = ""
    try:
        if withdraw:
            review = services.review_vote_withdraw(review_id=pk, voter=request.user)
        else:
            review = services.review_vote(review_id=pk, voter=request.user)
    except ApplicationError as exc:
        error = exc.message
        review = Review.objects.filter(pk=pk).first()
        if review is None or not review.viewable_by(request.user):
            raise Http404(_("No such review.")) from None
    if getattr(request, "htmx", False):
        state = selectors.viewer_state(
            user=request.user, product_id=review.product_id, review_ids=[review.pk]
        )
        return render(
            request,
            "community/reviews/_vote.html",
            {
                "review_id": review.pk,
                "helpful_count": review.helpful_count,
                "voted": review.pk in state.voted_ids,
                "own": review.author_id == request.user.pk,
                "error": error,
            },
        )
    if error:
        messages.error(request, error)
    elif not withdraw:
        messages.success(request, _("Thank you for your vote."))
    return redirect(safe_next(request, review.get_absolute_url()))


def review_from_email(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link of a review-request email: opens the review form of
    the product, for the order's own account only (signing in first)."""
    try:
        data = review_link_load(token)
    except signing.SignatureExpired:
        return render(
            request,
            "community/reviews/link_invalid.html",
            {
                "message": _(
                    "This link has expired. You can still review the product from its page."
                )
            },
            status=410,
        )
    except signing.BadSignature:
        return render(
            request,
            "community/reviews/link_invalid.html",
            {"message": _("This link is not valid.")},
            status=400,
        )
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != data["user_id"]:
        return render(
            request,
            "community/reviews/link_invalid.html",
            {
                "message": _(
                    "This link belongs to another account. Sign in with the account "
                    "that placed the order."
                )
            },
            status=403,
        )
    slug = (
        shop_selectors.Product.objects.filter(pk=data["product_id"])
        .values_list("slug", flat=True)
        .first()
    )
    if not slug:
        raise Http404(_("No such product."))
    return redirect(reverse("community:review_write", args=[slug]))


urlpatterns = [
    path("reviews/from-email/<str:token>/", review_from_email, name="review_from_email"),
    path("reviews/r/<int:pk>/", review_detail, name="review_detail"),
    path("reviews/r/<int:pk>/delete/", review_delete, name="review_delete"),
    path("reviews/r/<int:pk>/vote/", review_vote, name="review_vote"),
    path("reviews/<slug:slug>/", review_list, name="review_list"),
    path("reviews/<slug:slug>/write/", review_write, name="review_write"),
]
