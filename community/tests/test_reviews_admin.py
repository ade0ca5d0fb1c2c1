from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from community.events import MerchantReplied
from community.models import ContentStatus, ProductRating, Review
from community.services.reviews import review_create, review_edit, review_reply
from community.tests.factories import (
    MemberFactory,
    image_upload,
    make_moderator,
    review_write,
    trusted,
)
from core.models import OutboxEvent
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client, monkeypatch):
    """A moderator; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    moderator = make_moderator()
    client.force_login(moderator)
    client.get(reverse("admin:index"))
    client.moderator = moderator
    return client


def _member():
    return trusted(MemberFactory(), 2)


def test_review_pages_render_with_photos_history_and_diff(moderator_client):
    author = _member()
    review = review_create(
        user=author,
        product=ProductFactory(),
        stars=4,
        title="Before",
        body="Old words",
        photos=[image_upload()],
    )
    review_edit(review=review, editor=author, stars=5, title="After", body="New words")

    changelist = moderator_client.get(reverse("admin:community_review_changelist"))
    change = moderator_client.get(reverse("admin:community_review_change", args=[review.pk]))
    ratings = moderator_client.get(reverse("admin:community_productrating_changelist"))
    photos = moderator_client.get(reverse("admin:community_reviewphoto_changelist"))

    assert (changelist.status_code, change.status_code, ratings.status_code) == (200, 200, 200)
    assert photos.status_code == 200
    html = change.content.decode()
    assert "-Old words" in html and "+New words" in html  # the edit's diff
    assert 'name="reply"' in html


def test_review_change_page_shows_the_replys_edits_and_removal_as_diffs(moderator_client):
    # given: a reply written, edited by another staff member, removed, and
    # written afresh
    review = review_write(_member(), ProductFactory())
    writer = make_moderator(display_name="Ani Shop")
    review_reply(review=review, staff=writer, text="Thanks for the kind words")
    review_reply(review=review, staff=moderator_client.moderator, text="Thanks, Siti")
    review_reply(review=review, staff=moderator_client.moderator, text="")
    review_reply(review=review, staff=writer, text="Sorry, we are on it")

    # when
    response = moderator_client.get(reverse("admin:community_review_change", args=[review.pk]))

    # then: the removal and the edit, each against the text that followed it
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reply removed" in html and "Reply edited" in html
    assert "-Thanks, Siti" in html
    assert "-Thanks for the kind words" in html and "+Thanks, Siti" in html
    assert "+Sorry, we are on it" not in html  # written afresh, not an edit
    assert "Previous reply by Ani Shop" in html


def test_review_changelist_queries_do_not_grow(moderator_client):
    url = reverse("admin:community_review_changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert moderator_client.get(url).status_code == 200
        return len(captured.captured_queries)

    for _ in range(2):
        review_write(_member(), ProductFactory())
    two = count()
    for _ in range(8):
        review_write(_member(), ProductFactory())
    assert count() == two


def test_staff_reply_from_the_admin_is_saved_and_announced(moderator_client):
    review = review_write(_member(), ProductFactory(), title="Untouched")
    url = reverse("admin:community_review_change", args=[review.pk])

    response = moderator_client.post(url, {"reply": "Terima kasih!", "_save": "Save"})

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.reply_html == "<p>Terima kasih!</p>" and review.reply_by is not None
    assert review.title == "Untouched"
    assert OutboxEvent.objects.filter(event_type=MerchantReplied.event_type).count() == 1


def test_hide_action_recounts_the_rating(moderator_client):
    product = ProductFactory()
    review = review_write(_member(), product, stars=5)

    moderator_client.post(
        reverse("admin:community_review_changelist"),
        {"action": "hide_content", "_selected_action": [review.pk], "reason": "spam"},
    )

    review.refresh_from_db()
    assert review.status == ContentStatus.HIDDEN
    assert ProductRating.objects.get(product=product).count == 0
    assert Review.objects.count() == 1
