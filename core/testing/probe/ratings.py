"""A PRODUCT_RATING_ANNOTATIONS provider over ProbeRating, registered by the
tests that need ratings (`hooks.registered(...)`), the way a reviews app
would register its own in AppConfig.ready()."""

from __future__ import annotations

from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Subquery

from core.testing.probe.models import ProbeRating


def rating_annotations() -> dict:
    ratings = ProbeRating.objects.filter(product_id=OuterRef("pk")).order_by().values("product_id")
    return {
        "rating_avg": Subquery(
            ratings.annotate(average=Avg("stars")).values("average"), output_field=FloatField()
        ),
        "rating_count": Subquery(
            ratings.annotate(count=Count("pk")).values("count"), output_field=IntegerField()
        ),
    }
