"""Demo questions and answers for `manage.py seed_demo` (registered in
CommunityConfig.ready, after the shop's products and orders): product
questions answered by the demo shoppers (buyers of the product answer as
verified owners), one accepted answer, one official answer from the staff
account, and a couple of general questions, in English and Bahasa
Indonesia. Written through the services; idempotent (a question is found
again by its author and title)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from community.models import Answer, MemberProfile, Question
from community.services import qa as services
from community.services.members import member_profile
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors
from shop.models import Product

STAFF = "admin@kampung.test"
SHOPPERS = ["budi@kampung.test", "dewi@kampung.test", "agus@kampung.test"]
BUYER = "buyer"  # an answer by a shopper who bought the product (not the asker)

# category slug (None: a general question), asker, title, details,
# answers [(author, text)], index of the accepted answer or None
QUESTIONS: list[tuple] = [
    (
        "batik",
        "dewi@kampung.test",
        "Is this batik hand-drawn (tulis) or stamped (cap)?",
        "The photos look hand-drawn but I would like to be sure before I buy it as a gift.",
        [
            (
                BUYER,
                "Mine is tulis: the lines are slightly uneven and you can see the wax "
                "on the back of the cloth. Very fine work.",
            ),
            (
                STAFF,
                "It is batik tulis, drawn by hand with a canting in our partner workshop "
                "in Pekalongan. Each piece takes about two weeks.",
            ),
        ],
        1,
    ),
    (
        "batik",
        "agus@kampung.test",
        "Apakah warnanya luntur saat dicuci?",
        "Saya mau pakai untuk kerja setiap minggu.",
        [
            (
                BUYER,
                "Tidak luntur di punya saya. Cuci pakai tangan dengan lerak atau sabun "
                "bayi, jangan dijemur di bawah matahari langsung.",
            ),
        ],
        0,
    ),
    (
        "coffee",
        "budi@kampung.test",
        "Is this coffee good for a moka pot?",
        "I don't have an espresso machine, only a moka pot and a V60.",
        [
            (
                BUYER,
                "Yes, I use it in a moka pot every morning. Ask for a fine grind, a "
                "little coarser than espresso.",
            ),
            ("dewi@kampung.test", "It is lovely as a pour-over too: fruity and not bitter."),
        ],
        None,
    ),
    (
        "coffee",
        "agus@kampung.test",
        "Kapan tanggal sangrainya? Masih segar waktu sampai?",
        "",
        [
            (
                BUYER,
                "Punya saya disangrai tiga hari sebelum dikirim, tanggalnya tertulis di kemasan.",
            ),
        ],
        None,
    ),
    (
        "snacks",
        "dewi@kampung.test",
        "How long do these keep once the jar is open?",
        "",
        [
            (
                BUYER,
                "About two weeks if you close the jar tightly. Ours never lasted that long though!",
            ),
        ],
        None,
    ),
    (
        "spices",
        "budi@kampung.test",
        "How spicy is this sambal, honestly?",
        "My kids eat mild food. Is there a less spicy option?",
        [
            (BUYER, "It is properly hot. My children only eat a little with a lot of rice."),
        ],
        None,
    ),
    (
        "tea",
        "agus@kampung.test",
        "Is this loose leaf or in tea bags?",
        "",
        [
            (BUYER, "Loose leaf, in a resealable pouch. One teaspoon per cup is plenty."),
        ],
        None,
    ),
    (
        "kaos",
        "budi@kampung.test",
        "Does the size run small? I usually wear L.",
        "",
        [
            (BUYER, "It fits true to size for me, the cotton shrinks very little."),
        ],
        None,
    ),
    (
        "decor",
        "dewi@kampung.test",
        "Bisa dipakai di luar ruangan?",
        "Rencananya untuk teras yang kena hujan.",
        [],
        None,
    ),
    (
        "jamu",
        "budi@kampung.test",
        "Is this jamu safe to drink every day?",
        "",
        [
            (
                BUYER,
                "I drink a small glass every morning and it is fine for me, but ask your "
                "doctor if you are pregnant or take medicine.",
            ),
        ],
        None,
    ),
    (
        None,
        "agus@kampung.test",
        "How long does shipping to Bali usually take?",
        "I ordered on Monday with JNE Reguler.",
        [
            (
                "dewi@kampung.test",
                "My orders to Denpasar took three to four days with JNE Reguler.",
            ),
            (
                STAFF,
                "JNE Reguler to Bali takes 2 to 4 working days after we ship; you get the "
                "tracking number by email as soon as your parcel leaves.",
            ),
        ],
        None,
    ),
    (
        None,
        "dewi@kampung.test",
        "Bisakah saya membungkus pesanan sebagai hadiah?",
        "Saya mau kirim langsung ke ibu saya.",
        [],
        None,
    ),
]


def _ready_to_post(user) -> None:
    """The demo writes several posts per member at once: let the posting
    rules' pause between posts pass."""
    MemberProfile.objects.filter(user=user).update(last_posted_at=None)


def _product_in(category: str, shopper_ids: list[int]) -> tuple[Product | None, set[int]]:
    """A product of the category, bought by at least one demo shopper when
    one is; with the ids of the shoppers who bought it."""
    candidates = list(Product.objects.visible().filter(category__slug=category).order_by("pk")[:30])
    if not candidates:
        return None, set()
    pairs = shop_selectors.purchased_pairs(
        user_ids=shopper_ids, product_ids=[p.pk for p in candidates]
    )
    for product in candidates:
        buyers = {user_id for user_id, product_id in pairs if product_id == product.pk}
        if buyers:
            return product, buyers
    return candidates[0], set()


def seed_qa(stdout) -> None:
    users = {u.email: u for u in get_user_model().objects.filter(email__in=[STAFF, *SHOPPERS])}
    shoppers = [users[e] for e in SHOPPERS if e in users]
    if not shoppers:
        stdout.write("Demo questions: no demo shoppers, none added.")
        return
    for user in users.values():
        member_profile(user=user)
    now = timezone.now()
    made = answered = 0
    for number, (category, asker_email, title, body, answers, accepted) in enumerate(QUESTIONS):
        asker = users.get(asker_email)
        if asker is None or Question.objects.filter(author=asker, title=title).exists():
            continue
        product, buyer_ids = (None, set())
        if category is not None:
            product, buyer_ids = _product_in(category, [u.pk for u in shoppers])
            if product is None:
                continue
        try:
            _ready_to_post(asker)
            question = services.question_ask(author=asker, title=title, body=body, product=product)
        except ApplicationError as error:
            stdout.write(f"  question skipped: {error.message}")
            continue
        made += 1
        asked_at = now - timedelta(days=len(QUESTIONS) - number, hours=3)
        Question.objects.filter(pk=question.pk).update(
            created_at=asked_at, published_at=asked_at, last_activity_at=asked_at
        )
        posted: list[Answer] = []
        for offset, (author_key, text) in enumerate(answers, 1):
            if author_key == BUYER:
                others = sorted(buyer_ids - {asker.pk}) or [
                    u.pk for u in shoppers if u.pk != asker.pk
                ]
                author = next(u for u in shoppers if u.pk == others[number % len(others)])
            else:
                author = users.get(author_key)
            if author is None:
                continue
            try:
                _ready_to_post(author)
                answer = services.answer_post(question=question, author=author, body=text)
            except ApplicationError as error:
                stdout.write(f"  answer skipped: {error.message}")
                continue
            answered_at = asked_at + timedelta(hours=5 * offset)
            Answer.objects.filter(pk=answer.pk).update(
                created_at=answered_at, published_at=answered_at
            )
            Question.objects.filter(pk=question.pk).update(last_activity_at=answered_at)
            posted.append(answer)
            answered += 1
        # Votes from the shoppers who did not write the answer.
        for answer in posted:
            for voter in shoppers:
                if voter.pk != answer.author_id:
                    services.answer_vote(answer=answer, voter=voter, value=1)
        if accepted is not None and accepted < len(posted):
            services.answer_accept(answer=posted[accepted], user=asker)
    stdout.write(
        f"Demo questions: {made} new questions, {answered} new answers "
        f"({Question.objects.count()} questions in all)."
    )
