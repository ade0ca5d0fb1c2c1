from __future__ import annotations

import io

import pytest

from accounts.demo import seed_users
from community.demo.reviews import seed_reviews
from community.models import ContentStatus, ProductRating, Review, ReviewPhoto
from core.models import OutgoingEmail
from shop.demo import seed_shop

pytestmark = pytest.mark.django_db


def test_demo_reviews_are_varied_and_a_second_run_adds_nothing():
    out = io.StringIO()
    seed_users(out)
    seed_shop(out, products=40)

    seed_reviews(out)
    first = Review.objects.count()
    seed_reviews(out)

    assert Review.objects.count() == first >= 25
    reviews = Review.objects.all()
    assert set(reviews.values_list("status", flat=True)) == {ContentStatus.PUBLISHED}
    assert reviews.filter(verified_buyer=True).exists()
    assert reviews.filter(verified_buyer=False).exists()
    assert len(set(reviews.values_list("stars", flat=True))) >= 4
    assert ReviewPhoto.objects.filter(status=ContentStatus.PUBLISHED).count() >= 4
    assert reviews.exclude(reply_md="").count() >= 2
    assert reviews.filter(title__icontains="sesuai").exists()  # some in Bahasa Indonesia
    assert ProductRating.objects.filter(count__gt=0).exists()
    assert not OutgoingEmail.objects.exists()
