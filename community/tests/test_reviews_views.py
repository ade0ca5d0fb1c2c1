from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import ContentStatus, Flag, QueueItem, Review, ReviewPhoto, ReviewVote
from community.services import moderation
from community.services.reviews import review_create, review_reply, review_vote
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    image_upload,
    make_moderator,
    paid_order,
    review_write,
    trusted,
)
from core import hooks
from shop.tests.factories import ProductFactory, category_create

pytestmark = pytest.mark.django_db


def _member(**kwargs):
    return trusted(MemberFactory(**kwargs), 2)


def _reviews(product, count: int, *, photos: bool = False) -> list[Review]:
    made = []
    for n in range(count):
        author = _member()
        paid_order(author, product)
        made.append(
            review_create(
                user=author,
                product=product,
                stars=(n % 5) + 1,
                title=f"Review {n}",
                body=f"Body {n}",
                photos=[image_upload()] if photos else [],
            )
        )
    return made


def _queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches (content types, sessions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _product_queries(client, product) -> int:
    client.get(product.get_absolute_url())
    cache.clear()  # count the section's own reads, not its cached copy
    with CaptureQueriesContext(connection) as captured:
        response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return len(captured.captured_queries)


# ------------------------------------------------------------ product page
def test_product_page_shows_the_summary_and_the_most_helpful_reviews(client):
    product = ProductFactory()
    low, _high = _reviews(product, 2)
    review_vote(review_id=low.pk, voter=_member())

    html = client.get(product.get_absolute_url()).content.decode()

    assert 'id="reviews"' in html
    assert "Sign in to review" in html
    assert html.index("Review 0") < html.index("Review 1")  # most helpful first
    assert "Verified buyer" in html
    assert f"{reverse('community:review_list', args=[product.slug])}?stars=5" in html
    assert "50%" in html  # one of two reviews has one star
    assert "Rated 1.5 out of 5 from 2 reviews" in html


def test_product_page_section_for_a_member_with_and_without_a_review(client):
    product = ProductFactory()
    [other] = _reviews(product, 1)
    member = _member()
    client.force_login(member)

    before = client.get(product.get_absolute_url()).content.decode()
    review_write(member, product)
    review_vote(review_id=other.pk, voter=member)
    after = client.get(product.get_absolute_url()).content.decode()

    assert "Write a review" in before and "Edit your review" not in before
    assert "Edit your review" in after
    assert 'aria-pressed="true"' in after  # their vote on the other review


@pytest.mark.parametrize("as_member", [False, True])
def test_product_page_queries_do_not_grow_with_reviews(client, as_member):
    # given: the same product with 2, then 10 reviews (other products'
    # lists on the page stay as they were)
    product = ProductFactory()
    _reviews(product, 2, photos=True)
    if as_member:
        member = _member()
        review_vote(review_id=Review.objects.filter(product=product).first().pk, voter=member)
        client.force_login(member)
    two = _product_queries(client, product)

    _reviews(product, 8, photos=True)
    ten = _product_queries(client, product)

    assert two == ten


def test_members_product_page_reads_the_cached_section_with_one_query(client):
    product = ProductFactory()
    _reviews(product, 3)
    client.force_login(_member())
    client.get(product.get_absolute_url())  # the shared section is now cached

    with CaptureQueriesContext(connection) as captured:
        client.get(product.get_absolute_url())

    review_queries = [q["sql"] for q in captured.captured_queries if "community_review" in q["sql"]]
    assert len(review_queries) == 1  # the member's own review and votes
    assert "community_reviewvote" in review_queries[0]


def test_a_new_review_refreshes_the_cached_section_and_the_stored_page(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    _reviews(product, 1)
    client.get(product.get_absolute_url())
    assert "Brand new words" not in client.get(product.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        review_write(_member(), product, title="Brand new words")

    assert "Brand new words" in client.get(product.get_absolute_url()).content.decode()


# --------------------------------------------------------------- listings
def test_card_listing_queries_do_not_grow_with_rated_products(client):
    category = category_create("Batik")
    products = [ProductFactory(category=category) for _ in range(2)]
    for product in products:
        _reviews(product, 1)
    url = f"/shop/c/{category.slug}/"
    cache.clear()
    two = _queries(client, url)
    for _ in range(8):
        product = ProductFactory(category=category)
        _reviews(product, 1)
    cache.clear()
    ten = _queries(client, url)

    html = client.get(f"{url}?sort=top_rated").content.decode()
    assert two == ten
    assert html.count('class="product-card-rating"') == 10


def test_top_rated_and_min_rating_use_the_review_ratings(client):
    category = category_create("Batik")
    good, bad = (
        ProductFactory(category=category, name="Good"),
        ProductFactory(category=category, name="Bad"),
    )
    review_write(_member(), good, stars=5)
    review_write(_member(), bad, stars=2)

    response = client.get(f"/shop/c/{category.slug}/?sort=top_rated&min_rating=4")

    assert [p.name for p in response.context["page"].object_list] == ["Good"]


# ------------------------------------------------------------ reviews page
def test_reviews_page_queries_do_not_grow_with_reviews(client):
    few, many = ProductFactory(), ProductFactory()
    _reviews(few, 2, photos=True)
    _reviews(many, 10, photos=True)
    member = _member()
    client.force_login(member)
    for review in Review.objects.filter(product=many)[:3]:
        review_vote(review_id=review.pk, voter=member)

    def url(product):
        return reverse("community:review_list", args=[product.slug])

    assert _queries(client, url(few)) == _queries(client, url(many))


def test_reviews_page_sorts_and_filters(client):
    product = ProductFactory()
    reviews = _reviews(product, 5)
    unverified = review_write(_member(), product, stars=3, title="Not bought")
    with_photo = review_create(
        user=_member(),
        product=product,
        stars=4,
        title="Has photo",
        body="x",
        photos=[image_upload()],
    )
    url = reverse("community:review_list", args=[product.slug])

    def titles(query: str) -> list[str]:
        return [r.title for r in client.get(f"{url}?{query}").context["reviews"]]

    assert titles("sort=highest")[0] == "Review 4"
    assert titles("sort=lowest")[0] == "Review 0"
    assert titles("sort=newest")[0] == "Has photo"
    assert titles("stars=3") == ["Not bought", "Review 2"]
    assert titles("photos=1") == ["Has photo"]
    assert unverified.title not in titles("verified=1")
    assert len(titles("verified=1")) == len(reviews)
    assert with_photo.pk


def test_only_the_author_sees_their_pending_review_with_a_notice(client):
    product = ProductFactory()
    new = NewMemberFactory()
    pending = review_write(new, product, title="Waiting one")
    assert pending.status == ContentStatus.PENDING
    url = reverse("community:review_list", args=[product.slug])

    client.force_login(new)
    own = client.get(url).content.decode()
    client.force_login(_member())
    other = client.get(url).content.decode()
    client.logout()
    visitor = client.get(url).content.decode()
    detail = client.get(pending.get_absolute_url())

    assert "Waiting one" in own and "waiting for a moderator" in own
    assert "Waiting one" not in other and "Waiting one" not in visitor
    assert detail.status_code == 404


def test_hidden_photos_are_not_shown_to_others(client):
    product = ProductFactory()
    author = _member()
    review = review_create(
        user=author, product=product, stars=5, title="T", body="B", photos=[image_upload()]
    )
    photo = ReviewPhoto.objects.get(review=review)
    moderation.content_hide(content=photo, moderator=make_moderator(), reason="wrong")
    url = reverse("community:review_list", args=[product.slug])

    assert photo.thumb.url not in client.get(url).content.decode()
    client.force_login(author)
    assert photo.thumb.url in client.get(review.get_absolute_url()).content.decode()


def test_merchant_reply_and_disclosure_show_under_the_review(client):
    product = ProductFactory()
    rewarded, plain = _reviews(product, 2)
    review_reply(review=rewarded, staff=make_moderator(), text="Terima kasih!")
    asked = []

    def incentivised(*, kind, ids):
        asked.append((kind, sorted(ids)))
        return {rewarded.pk}

    with hooks.registered(hooks.CONTENT_INCENTIVISED, incentivised):
        html = client.get(reverse("community:review_list", args=[product.slug])).content.decode()

    assert "Terima kasih!" in html and "Reply from the shop" in html
    assert html.count("This reviewer received points for this review.") == 1
    assert asked == [("review", sorted([rewarded.pk, plain.pk]))]  # once per page


def test_no_disclosure_without_a_hook(client):
    product = ProductFactory()
    _reviews(product, 1)

    html = client.get(reverse("community:review_list", args=[product.slug])).content.decode()

    assert "received points" not in html


# ------------------------------------------------------------------ form
def test_form_with_bad_input_shows_the_message_and_keeps_what_was_typed(client):
    product = ProductFactory()
    client.force_login(_member())

    response = client.post(
        reverse("community:review_write", args=[product.slug]),
        {"stars": "4", "title": "My careful title", "body": "x" * 5001},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "My careful title" in html
    assert "at most 5000 characters" in html
    assert 'value="4" checked' in html or 'value="4"\n' in html or "checked" in html
    assert not Review.objects.exists()


def test_form_refuses_a_fake_image_and_keeps_the_text(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = ProductFactory()
    client.force_login(_member())

    response = client.post(
        reverse("community:review_write", args=[product.slug]),
        {
            "stars": "5",
            "title": "Kept title",
            "body": "Kept body",
            "photos": [SimpleUploadedFile("cat.jpg", b"not an image", "image/jpeg")],
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "cat.jpg: The file is not a valid image." in html
    assert "Kept title" in html and "Kept body" in html
    assert not Review.objects.exists()


def test_form_writes_then_edits_the_review_with_photos(client):
    product = ProductFactory()
    member = _member()
    paid_order(member, product)
    client.force_login(member)
    url = reverse("community:review_write", args=[product.slug])

    response = client.post(
        url,
        {
            "stars": "5",
            "title": "Great",
            "body": "Loved it",
            "photos": [image_upload("a.jpg"), image_upload("b.jpg")],
        },
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.verified_buyer and review.photo_count == 2

    form = client.get(url).content.decode()
    assert "Edit your review" in form and "Great" in form
    first_photo = ReviewPhoto.objects.filter(review=review).first()
    client.post(
        url,
        {"stars": "4", "title": "Good", "body": "Still nice", "remove_photo": [first_photo.pk]},
    )

    review.refresh_from_db()
    assert (review.stars, review.title, review.photo_count, review.edit_count) == (
        4,
        "Good",
        1,
        1,
    )


def test_visitors_are_sent_to_sign_in_to_write(client):
    product = ProductFactory()

    response = client.get(reverse("community:review_write", args=[product.slug]))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# ------------------------------------------------------------------ votes
def test_helpful_vote_with_htmx_swaps_the_button(client):
    product = ProductFactory()
    [review] = _reviews(product, 1)
    client.force_login(_member())
    url = reverse("community:review_vote", args=[review.pk])

    voted = client.post(url, {}, headers={"HX-Request": "true"})
    withdrawn = client.post(url, {"action": "withdraw"}, headers={"HX-Request": "true"})

    assert 'aria-pressed="true"' in voted.content.decode()
    assert "Helpful · 1" in voted.content.decode()
    assert 'aria-pressed="false"' in withdrawn.content.decode()
    assert not ReviewVote.objects.exists()


def test_helpful_vote_without_javascript_redirects_back_with_a_message(client):
    product = ProductFactory()
    author = _member()
    review = review_write(author, product)
    client.force_login(author)

    response = client.post(
        reverse("community:review_vote", args=[review.pk]), {"next": "/somewhere/"}, follow=True
    )

    assert "You cannot vote on your own review." in response.content.decode()
    assert not ReviewVote.objects.exists()


def test_flagging_a_review_works_through_the_kernel(client):
    [review] = _reviews(ProductFactory(), 1)
    client.force_login(_member())

    client.post(reverse("community:flag", args=["review", review.pk]), {"reason": "spam"})

    review.refresh_from_db()
    assert review.flag_count == 1


# ------------------------------------------------------------ photo flags
def _review_with_photos(product, *, count: int = 1) -> tuple[Review, list[ReviewPhoto]]:
    review = review_create(
        user=_member(),
        product=product,
        stars=4,
        title="With photos",
        body="See the photos.",
        photos=[image_upload(f"{n}.jpg") for n in range(count)],
    )
    return review, list(ReviewPhoto.objects.filter(review=review))


def _photo_flag_url(photo: ReviewPhoto) -> str:
    return reverse("community:flag", args=["review_photo", photo.pk])


def test_other_members_get_a_flag_control_on_each_photo_wherever_it_is_shown(client):
    # given: a review with two photos, shown on the product page (cached
    # section), the product's reviews page and the review's own page
    product = ProductFactory()
    review, photos = _review_with_photos(product, count=2)
    pages = [
        product.get_absolute_url(),
        reverse("community:review_list", args=[product.slug]),
        review.get_absolute_url(),
    ]

    # when
    visitor = [client.get(url).content.decode() for url in pages]
    client.force_login(review.author)
    own = [client.get(url).content.decode() for url in pages]
    client.force_login(_member())
    other = [client.get(url).content.decode() for url in pages]

    # then: another member can flag each photo; a visitor and the author cannot
    for photo in photos:
        action = f'action="{_photo_flag_url(photo)}"'
        assert all(action in html for html in other)
        assert not any(action in html for html in [*visitor, *own])
    assert all(html.count("Flag photo") == 2 for html in other)
    assert not any("kp-photo-flag" in html for html in [*visitor, *own, *other])


def test_member_flags_a_photo_and_goes_back_to_the_page_with_a_message(client):
    # given
    product = ProductFactory()
    review, [photo] = _review_with_photos(product)
    client.force_login(_member())

    # when
    response = client.post(
        _photo_flag_url(photo),
        {"reason": "off_topic", "note": "Not this product", "next": product.get_absolute_url()},
        follow=True,
    )

    # then: the photo is flagged and queued on its own, the review is not
    assert response.redirect_chain[-1][0] == product.get_absolute_url()
    assert "Thank you. A moderator will look at it." in response.content.decode()
    flag = Flag.objects.get()
    assert (flag.kind, flag.object_id, flag.reason, flag.note) == (
        "review_photo",
        photo.pk,
        "off_topic",
        "Not this product",
    )
    photo.refresh_from_db()
    review.refresh_from_db()
    assert (photo.flag_count, photo.status) == (1, ContentStatus.PUBLISHED)
    assert review.flag_count == 0
    assert QueueItem.objects.get().kind == "review_photo"


def test_own_photo_cannot_be_flagged_and_nothing_is_written(client):
    # given
    product = ProductFactory()
    review, [photo] = _review_with_photos(product)
    client.force_login(review.author)

    # when
    response = client.post(_photo_flag_url(photo), {"reason": "spam"}, follow=True)

    # then
    assert "You cannot flag your own post." in response.content.decode()
    assert not Flag.objects.exists() and not QueueItem.objects.exists()
    photo.refresh_from_db()
    assert photo.flag_count == 0


def test_second_flag_of_a_photo_by_the_same_member_is_refused_with_a_message(client):
    # given: a member who flagged the photo once
    product = ProductFactory()
    _review, [photo] = _review_with_photos(product)
    client.force_login(_member())
    client.post(_photo_flag_url(photo), {"reason": "spam"})

    # when
    response = client.post(_photo_flag_url(photo), {"reason": "rude"}, follow=True)

    # then: still their one flag
    assert "You have already flagged this." in response.content.decode()
    assert list(Flag.objects.values_list("reason", flat=True)) == ["spam"]
    photo.refresh_from_db()
    assert photo.flag_count == 1


def test_visitor_is_sent_to_sign_in_and_nothing_is_written(client):
    # given
    _review, [photo] = _review_with_photos(ProductFactory())

    # when
    response = client.post(_photo_flag_url(photo), {"reason": "spam"})

    # then
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Flag.objects.exists()


def test_photo_of_a_hidden_review_cannot_be_flagged_by_a_member(client):
    # given: a published photo whose review a moderator hid
    review, [photo] = _review_with_photos(ProductFactory())
    moderation.content_hide(content=review, moderator=make_moderator(), reason="spam")
    client.force_login(_member())

    # when
    response = client.post(_photo_flag_url(photo), {"reason": "spam"})

    # then
    assert response.status_code == 404
    assert not Flag.objects.exists()


def test_members_product_page_flags_photos_without_another_query(client):
    # given: the shared section with photos is cached
    product = ProductFactory()
    _reviews(product, 3, photos=True)
    client.force_login(_member())
    client.get(product.get_absolute_url())

    # when
    with CaptureQueriesContext(connection) as captured:
        html = client.get(product.get_absolute_url()).content.decode()

    # then: still the one query for the member's parts, none for the flags
    queries = [q["sql"] for q in captured.captured_queries]
    assert sum("community_review" in q for q in queries) == 1
    assert not any("community_flag" in q for q in queries)
    assert html.count('action="/community/flag/review_photo/') == 3


def test_review_page_queries_do_not_grow_with_photos(client):
    # given
    product = ProductFactory()
    one, _photos = _review_with_photos(product, count=1)
    five, _photos = _review_with_photos(ProductFactory(), count=5)
    client.force_login(_member())

    # when / then
    assert _queries(client, one.get_absolute_url()) == _queries(client, five.get_absolute_url())


def test_a_verified_review_written_before_the_launch_is_marked_early_access(client):
    # given: a product launched three days ago; an early-access buyer
    # reviewed it ten days ago, a later buyer yesterday
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    product = ProductFactory(available_from=now - dt.timedelta(days=3))
    early, later = _reviews(product, 2)
    Review.objects.filter(pk=early.pk).update(created_at=now - dt.timedelta(days=10))
    Review.objects.filter(pk=later.pk).update(created_at=now - dt.timedelta(days=1))
    Review.objects.filter(pk=later.pk).update(verified_buyer=True)
    unverified = review_create(
        user=_member(), product=product, stars=4, title="Seen it in the shop", body="Nice."
    )
    Review.objects.filter(pk=unverified.pk).update(created_at=now - dt.timedelta(days=9))
    cache.clear()

    # when
    pages = [
        client.get(reverse("community:review_list", args=[product.slug])),
        client.get(product.get_absolute_url()),
    ]

    # then: only the verified review from before the launch carries the mark
    for response in pages:
        html = response.content.decode()
        assert html.count("Early access review") == 1
        mark = html.index("Early access review")
        assert html.rfind(f'id="review-{early.pk}"', 0, mark) > max(
            html.rfind(f'id="review-{later.pk}"', 0, mark),
            html.rfind(f'id="review-{unverified.pk}"', 0, mark),
        )
    detail = client.get(reverse("community:review_detail", args=[early.pk]))
    assert "Early access review" in detail.content.decode()
