"""Demo reviews for `manage.py seed_demo` (registered in CommunityConfig.ready):
about 30 reviews by the demo shoppers, verified where their demo orders hold
the product, some with a photo, a few answered by the shop; written through
the services inside core.events.quiet(). Running it again adds nothing."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw

from community.models import MemberProfile, Review, TrustLevel
from community.services.members import member_profile
from community.services.reviews import review_create, review_reply
from core.events import quiet
from core.exceptions import ApplicationError
from shop.models import OrderLine, Product
from shop.selectors import PURCHASED_STATUSES

SHOPPERS = ["budi@kampung.test", "dewi@kampung.test", "agus@kampung.test"]
STAFF = "admin@kampung.test"
PER_SHOPPER = 10

# (stars, title, body); English and Bahasa Indonesia mixed, as the shop's
# own community writes.
TEXTS = [
    (5, "Exactly as pictured", "Arrived well packed and looks even better than the photos."),
    (5, "Mantap, sesuai deskripsi", "Barang datang cepat, kualitasnya bagus. Pasti beli lagi."),
    (4, "Good value", "Nice quality for the price. Shipping took a day longer than expected."),
    (
        4,
        "Bagus, tapi warnanya sedikit beda",
        "Secara keseluruhan puas, hanya warnanya agak lebih gelap.",
    ),
    (3, "Okay", "It does the job, nothing special. The packaging could be better."),
    (5, "A lovely gift", "Bought it for my mother and she loves it. Beautiful work."),
    (2, "Smaller than I thought", "Check the size before you order; it is quite small."),
    (5, "Harum dan segar", "Aromanya kuat dan tahan lama. Recommended!"),
    (4, "Would buy again", "Solid product, friendly seller, fast reply to my question."),
    (
        1,
        "Arrived damaged",
        "The box was crushed and one corner was broken. Sent photos to the shop.",
    ),
    (5, "Kualitas premium", "Jahitannya rapi dan bahannya adem dipakai seharian."),
    (3, "Biasa saja", "Tidak jelek, tapi saya berharap lebih untuk harga segini."),
    (4, "Nice texture", "Feels handmade in the best way. Minor imperfections add to the charm."),
    (5, "Top!", "Second time ordering; consistent quality every time."),
    (4, "Cukup memuaskan", "Pengiriman ke Bali tiga hari, barang aman."),
]
REPLIES = [
    "Terima kasih banyak atas ulasannya! Senang sekali Anda suka.",
    "We are sorry it arrived damaged. We have sent a replacement; thank you for the photos.",
    "Thank you for the kind words, we will pass them on to the maker.",
]


def _photo(seed: int) -> SimpleUploadedFile:
    """A shopper's snapshot: the product on a table, drawn with Pillow."""
    rng = random.Random(seed)  # noqa: S311 - demo pictures
    base = tuple(rng.randint(120, 220) for _ in range(3))
    image = Image.new("RGB", (900, 700), (236, 229, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 470, 900, 700), fill=(176, 132, 92))  # the table
    for k in range(0, 900, 60):
        draw.line([(k, 470), (k + 40, 700)], fill=(160, 118, 80), width=3)
    draw.ellipse((260, 560, 640, 610), fill=(140, 104, 72))  # shadow
    draw.rounded_rectangle((300, 240, 600, 580), radius=30, fill=base)
    dark = tuple(max(0, c - 60) for c in base)
    draw.rounded_rectangle((340, 300, 560, 420), radius=14, fill=dark)
    draw.ellipse((690, 90, 810, 210), fill=(250, 235, 180))  # window light
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile(f"review-{seed}.jpg", out.getvalue(), "image/jpeg")


def _bought(user) -> list[int]:
    return list(
        dict.fromkeys(
            OrderLine.objects.filter(
                order__user=user, order__status__in=PURCHASED_STATUSES, variant__isnull=False
            )
            .order_by("pk")
            .values_list("variant__product_id", flat=True)
        )
    )


def _ready_to_post(user) -> None:
    """Demo shoppers are established members: no approval queue, no daily
    limit between the demo's reviews."""
    profile = member_profile(user=user)
    MemberProfile.objects.filter(pk=profile.pk).update(
        trust_level=TrustLevel.MEMBER,
        trust_level_locked=True,
        posts_today=0,
        last_posted_at=None,
    )


def seed_reviews(stdout) -> None:
    users = {u.email: u for u in get_user_model().objects.filter(email__in=[*SHOPPERS, STAFF])}
    shoppers = [users[e] for e in SHOPPERS if e in users]
    if not shoppers:
        stdout.write("Reviews: no demo shoppers, none written.")
        return
    now = timezone.now()
    products = list(
        Product.objects.visible()
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        .order_by("-sales_count", "pk")
        .values_list("pk", flat=True)[:40]
    )
    rng = random.Random(20)  # noqa: S311 - demo data
    created = photos = 0
    written: list[Review] = []
    with quiet():
        for index, user in enumerate(shoppers):
            bought = [pk for pk in _bought(user) if pk in products][:7]
            others = [pk for pk in products if pk not in bought]
            # The same choice on every run (the dates below draw from `rng`).
            random.Random(user.email).shuffle(others)  # noqa: S311 - demo data
            chosen = (bought + others)[:PER_SHOPPER]
            for n, product_id in enumerate(chosen):
                if Review.objects.filter(author=user, product_id=product_id).exists():
                    continue
                stars, title, body = TEXTS[(index * 5 + n) % len(TEXTS)]
                with_photo = (index + n) % 4 == 0
                _ready_to_post(user)
                try:
                    review = review_create(
                        user=user,
                        product=Product.objects.get(pk=product_id),
                        stars=stars,
                        title=title,
                        body=body,
                        photos=[_photo(product_id * 10 + index)] if with_photo else [],
                    )
                except ApplicationError as exc:
                    stdout.write(f"  review skipped: {exc.message}")
                    continue
                # Spread over the past weeks, as a real shop's reviews are.
                Review.objects.filter(pk=review.pk).update(
                    created_at=now - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
                )
                created += 1
                photos += int(with_photo)
                written.append(review)
        staff = users.get(STAFF)
        replied = 0
        if staff is not None:
            for review, text in zip(written[::9], REPLIES, strict=False):
                review_reply(review=review, staff=staff, text=text)
                replied += 1
    total = Review.objects.filter(author__in=shoppers).count()
    stdout.write(
        f"Reviews: {created} new ({photos} with a photo, {replied} answered by the shop), "
        f"{total} by the demo shoppers."
    )
