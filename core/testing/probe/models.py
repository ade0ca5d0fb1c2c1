from django.db import models


class ProbeRecord(models.Model):
    event_id = models.UUIDField(unique=True)
    note = models.CharField(max_length=200)
    handled_by_pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.note} ({self.event_id})"


class ProbeRating(models.Model):
    """A stand-in for a future reviews app's review (stars for a product id),
    so shop tests can register a PRODUCT_RATING_ANNOTATIONS provider without
    that app. A plain id, not a foreign key: core knows no domain app."""

    product_id = models.BigIntegerField(db_index=True)
    stars = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"{self.stars} stars for product {self.product_id}"
