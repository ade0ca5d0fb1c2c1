"""Seed the community on top of the benchmark catalogue: 200,000 reviews,
2,500 forum threads with 50,000 posts, questions with answers, polls.

Run after bench/seed.py, against the same PostgreSQL database (it runs
bench/seed.py first when the catalogue is missing):

    export DJANGO_SETTINGS_MODULE=config.settings.local
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kampung_bench
    python bench/community_seed.py

Rows are written set-based (PostgreSQL COPY, in one transaction), not
through the community services one by one; the counters the services keep
(product ratings, thread and category counts, last posts, answer counts,
poll tallies, members' published counts) are then filled with one SQL
statement each. A second run finds the seeded community and exits without
writing; a database with some community content already is refused.

What it writes, reusing bench/seed.py's 1,000 users:
- a MemberProfile (handle = the e-mail's local part) for every user;
- 200 published reviews per user (200,000), one per user and product,
  products drawn by popularity (the shop's sales ranking, Zipf-like), so the
  best sellers are reviewed by nearly every user and the long tail by a few;
  stars J-shaped (about half 5 stars) with a per-product lean; verified
  buyer where the user has a paid order holding the product; helpful votes
  (real ReviewVote rows) on about 5 % of the reviews;
- ProductRating rows recounted from the reviews in one statement;
- 8 forum categories, 2,500 threads, 50,000 posts numbered 1..n per
  thread (the biggest threads have over a thousand posts, the median a
  handful), counters and last posts filled;
- 600 questions (500 about products) with 0-6 answers, a third of the
  answered ones with an accepted answer;
- 6 open single-choice polls with 200-600 voters each.
"""

from __future__ import annotations

import bisect
import math
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import AutoField, BigAutoField  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from community.models import (  # noqa: E402
    Answer,
    ContentStatus,
    ForumCategory,
    MemberProfile,
    Poll,
    PollBallot,
    PollOption,
    PollVote,
    Post,
    Question,
    Review,
    ReviewVote,
    Thread,
)
from community.models.moderation import TrustLevel  # noqa: E402
from core.markdown import render_markdown  # noqa: E402
from shop.models import Category, Order, Product  # noqa: E402
from shop.selectors import PURCHASED_STATUSES  # noqa: E402

REVIEWS_PER_USER = 200
THREADS = 2_500
POSTS = 50_000
QUESTIONS = 600
PRODUCT_QUESTIONS = 500
POLLS = 6
SEED = 20_261_202
PUBLISHED = ContentStatus.PUBLISHED.value

# Stars 1..5 before a product's lean: the J shape of shop reviews.
STAR_WEIGHTS = (0.08, 0.05, 0.10, 0.25, 0.52)
REVIEW_TITLES = {
    5: ["Love it", "Exactly as described", "Beautiful work", "Will buy again", "Perfect gift"],
    4: ["Very nice", "Good quality", "Happy with it", "Nice, small flaw", "Worth the price"],
    3: ["It is okay", "Average", "Smaller than expected", "Decent", "Mixed feelings"],
    2: ["Disappointing", "Not as pictured", "Colour faded", "Arrived late", "Meh"],
    1: ["Broke quickly", "Do not buy", "Poor quality", "Wrong item", "Very disappointed"],
}
REVIEW_BODIES = [
    "Arrived well packed. The **finish** is lovely and it feels solid.",
    "I use it every day.\n\n- good size\n- easy to clean\n\nWould recommend.",
    "Bought two as gifts; both were liked. Shipping took *four* days.",
    "The colour is a bit darker than the photo, otherwise fine.",
    "Handmade, so every piece is a little different. Mine has a small mark.",
    "Good value for the price. The seller answered my question quickly.",
    "Not what I expected: thinner material, and the stitching came loose.",
    "Third time ordering. Consistent quality, see the [care guide](https://example.com/care).",
]
POST_BODIES = [
    "Has anyone tried this with hot water? Mine started to crack.",
    "I agree. The **older batch** was better, in my opinion.",
    "Here is how I do it:\n\n1. soak overnight\n2. dry in the shade\n3. oil once a month",
    "Thanks, that helped!",
    "Same here. I asked the shop and they offered a replacement.",
    "Photos would help; it is hard to tell from the description.",
    "I bought mine last year and it still looks new.",
    "Does the *Indonesian* version come with the same instructions?",
    "Quick update: it arrived today, very happy with it.",
    "Interesting. Which workshop makes the blue ones?",
]
FORUM_CATEGORIES = [
    ("General", "general", None),
    ("Show your purchases", "show-your-purchases", None),
    ("Home & living", "home-living", "home"),
    ("Kitchen talk", "kitchen-talk", "kitchen"),
    ("Fashion & textiles", "fashion-textiles", "fashion"),
    ("Makers' corner", "makers-corner", "crafts"),
    ("Help & support", "help-support", None),
    ("Off topic", "off-topic", None),
]
THREAD_TOPICS = [
    "How do you care for the", "First impressions of the", "Is it worth buying the",
    "Alternatives to the", "Photos of my", "Problem with my", "Gift ideas like the",
    "Where to find the", "Sizing of the", "Long-term review of the",
]  # fmt: skip
QUESTIONS_ASKED = [
    "Is it dishwasher safe?", "What are the dimensions?", "Does it come gift wrapped?",
    "Is the colour fast?", "Can it be used outdoors?", "How long does delivery take to Bali?",
    "Is this made by hand?", "Does it have a warranty?",
]  # fmt: skip
ANSWERS_GIVEN = [
    "Yes, mine has been through it many times.",
    "About 30 by 20 cm, a little smaller than I expected.",
    "I asked the shop: **yes**, for a small fee.",
    "No, wash it by hand in cold water.",
    "It took three days for me.",
]
POLL_QUESTIONS = [
    ("Which material do you want to see more of?", ["Rattan", "Teak", "Batik", "Ikat"]),
    ("How do you prefer to pay?", ["Bank transfer", "E-wallet", "Card"]),
    ("Best gift under 200k?", ["Candles", "Coffee", "Sambal set", "Notebook"]),
    ("Favourite workshop region?", ["Java", "Bali", "Sumatra", "Sulawesi", "Kalimantan"]),
    ("Should the shop sell refills?", ["Yes", "No", "Only for soap"]),
    ("Which community event next?", ["Maker Q&A", "Photo contest", "Swap meet"]),
]


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)


def copy_rows(model, rows) -> int:
    """COPY dicts (keyed by attname) into the model's table; columns left
    out take the field's default. Returns the number of rows written."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, (AutoField, BigAutoField)))
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    defaults = {f.attname: f.get_default() for f in fields}
    written = 0
    with (
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            written += 1
    return written


def ids_in_order(model) -> list[int]:
    """The ids of a table's rows in insertion order (it was empty before
    one COPY, whose rows took the sequence's values in order)."""
    return list(model.objects.order_by("pk").values_list("pk", flat=True))


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def already_seeded() -> bool:
    reviews, posts = Review.objects.count(), Post.objects.count()
    users = get_user_model().objects.filter(email__startswith="shopper").count()
    if users and reviews >= users * REVIEWS_PER_USER and posts >= POSTS:
        print(f"Already seeded ({reviews} reviews, {posts} posts): nothing to do.")
        return True
    if reviews or posts or Thread.objects.exists() or Question.objects.exists():
        sys.exit(
            f"Refusing to seed: the database already holds {reviews} reviews and "
            f"{posts} posts. Use a database seeded by bench/seed.py only."
        )
    return False


def spread(rng: random.Random, now, days: int = 365):
    return now - timedelta(seconds=rng.randrange(days * 86_400))


def weighted_sample(rng: random.Random, cum: list[float], k: int) -> list[int]:
    """k distinct indexes, each draw weighted (successive sampling)."""
    chosen: dict[int, None] = {}
    total = cum[-1]
    while len(chosen) < k:
        chosen[bisect.bisect(cum, rng.random() * total)] = None
    return list(chosen)


def seed_profiles(users, now) -> None:
    copy_rows(
        MemberProfile,
        (
            {
                "user_id": u.pk,
                "handle": u.email.split("@")[0],
                "trust_level": TrustLevel.MEMBER,
                "created_at": now - timedelta(days=400),
                "updated_at": now,
            }
            for u in users
        ),
    )


def seed_reviews(rng: random.Random, users, products: list[int], now) -> tuple[int, int]:
    bodies = [(md, render_markdown(md)) for md in REVIEW_BODIES]
    cum, total = [], 0.0
    for rank in range(len(products)):
        total += 1 / (rank + 1) ** 0.9
        cum.append(total)
    lean = {pid: rng.gauss(0, 0.5) for pid in products}
    star_cum = {}
    bought = set(
        Order.objects.filter(status__in=PURCHASED_STATUSES)
        .values_list("user_id", "lines__variant__product_id")
        .distinct()
    )

    def stars_for(pid: int) -> int:
        if pid not in star_cum:
            weights = [w * math.exp(lean[pid] * (s - 3)) for s, w in enumerate(STAR_WEIGHTS, 1)]
            acc, c = 0.0, []
            for w in weights:
                acc += w
                c.append(acc)
            star_cum[pid] = c
        c = star_cum[pid]
        return bisect.bisect(c, rng.random() * c[-1]) + 1

    def rows():
        for u in users:
            for idx in weighted_sample(rng, cum, REVIEWS_PER_USER):
                pid = products[idx]
                stars = stars_for(pid)
                md, html = rng.choice(bodies)
                created = spread(rng, now)
                helpful = int(rng.paretovariate(1.2)) if rng.random() < 0.05 else 0
                yield {
                    "author_id": u.pk,
                    "product_id": pid,
                    "stars": stars,
                    "title": rng.choice(REVIEW_TITLES[stars]),
                    "body_md": md,
                    "body_html": html,
                    "status": PUBLISHED,
                    "published_at": created,
                    "verified_buyer": (u.pk, pid) in bought,
                    "helpful_count": min(helpful, 40),
                    "created_at": created,
                    "updated_at": created,
                }

    written = copy_rows(Review, rows())
    # Helpful votes: real rows behind every helpful_count, from other users.
    user_ids = [u.pk for u in users]
    # Read before the COPY: the connection is busy while it runs.
    voted = list(
        Review.objects.filter(helpful_count__gt=0).values_list(
            "pk", "author_id", "helpful_count", "created_at"
        )
    )

    def votes():
        for review_id, author_id, count, created in voted:
            for voter in rng.sample(user_ids, count + 1):
                if voter != author_id and count:
                    count -= 1
                    yield {"review_id": review_id, "voter_id": voter, "created_at": created}

    # count + 1 distinct users hold at most the author once: count votes.
    return written, copy_rows(ReviewVote, votes())


def recount_ratings(now) -> int:
    """What rating_recount keeps, for every product at once."""
    return sql(
        """
        INSERT INTO community_productrating
               (product_id, count, sum, avg, stars_1, stars_2, stars_3, stars_4, stars_5,
                updated_at)
        SELECT product_id, COUNT(*), SUM(stars),
               ROUND(SUM(stars)::numeric / COUNT(*), 2),
               COUNT(*) FILTER (WHERE stars = 1), COUNT(*) FILTER (WHERE stars = 2),
               COUNT(*) FILTER (WHERE stars = 3), COUNT(*) FILTER (WHERE stars = 4),
               COUNT(*) FILTER (WHERE stars = 5), %s
          FROM community_review WHERE status = %s
         GROUP BY product_id
        ON CONFLICT (product_id) DO UPDATE
           SET count = EXCLUDED.count, sum = EXCLUDED.sum, avg = EXCLUDED.avg,
               stars_1 = EXCLUDED.stars_1, stars_2 = EXCLUDED.stars_2,
               stars_3 = EXCLUDED.stars_3, stars_4 = EXCLUDED.stars_4,
               stars_5 = EXCLUDED.stars_5, updated_at = EXCLUDED.updated_at
        """,
        [now, PUBLISHED],
    )


def seed_forums(rng: random.Random, users, products: list[int], now) -> tuple[int, int, int]:
    shop_categories = dict(Category.objects.filter(depth=1).values_list("slug", "pk"))
    copy_rows(
        ForumCategory,
        (
            {
                "name": name,
                "slug": slug,
                "description": f"{name}: questions, tips and photos.",
                "position": i,
                "shop_category_id": shop_categories.get(shop_slug),
                "created_at": now - timedelta(days=400),
                "updated_at": now,
            }
            for i, (name, slug, shop_slug) in enumerate(FORUM_CATEGORIES)
        ),
    )
    categories = ids_in_order(ForumCategory)

    # Posts per thread: Zipf-like (exponent 0.7), at least one (the opening
    # post), 50,000 in all.
    weights = [1 / (rank + 1) ** 0.7 for rank in range(THREADS)]
    scale = (POSTS - THREADS) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in range(POSTS - sum(sizes)):
        sizes[i % THREADS] += 1
    rng.shuffle(sizes)

    threads = []
    for i, size in enumerate(sizes):
        noun = rng.choice(["batik scarf", "rattan basket", "teak bowl", "coffee", "sambal"])
        title = f"{rng.choice(THREAD_TOPICS)} {noun} ({i + 1})"
        started_at = spread(rng, now)
        times = sorted(
            started_at
            + timedelta(seconds=rng.randrange(max(1, int((now - started_at).total_seconds()))))
            for _ in range(size - 1)
        )
        threads.append((title, started_at, [started_at, *times]))
    copy_rows(
        Thread,
        (
            {
                "category_id": categories[i % len(categories)],
                "title": title,
                "slug": slugify(title)[:160],
                "author_id": users[i % len(users)].pk,
                "product_id": products[i % 200] if i % 5 == 0 else None,
                "pinned": i < 3,
                "status": PUBLISHED,
                "created_at": started_at,
                "updated_at": times[-1],
                "last_post_at": times[-1],
            }
            for i, (title, started_at, times) in enumerate(threads)
        ),
    )
    thread_ids = ids_in_order(Thread)
    bodies = [(md, render_markdown(md)) for md in POST_BODIES]

    def posts():
        for thread_id, (_title, _started, times) in zip(thread_ids, threads, strict=True):
            for number, created in enumerate(times, 1):
                md, html = rng.choice(bodies)
                yield {
                    "thread_id": thread_id,
                    "number": number,
                    "author_id": rng.choice(users).pk,
                    "body_md": md,
                    "body_html": html,
                    "status": PUBLISHED,
                    "published_at": created,
                    "like_count": int(rng.paretovariate(2)) - 1 if rng.random() < 0.3 else 0,
                    "created_at": created,
                    "updated_at": created,
                }

    post_count = copy_rows(Post, posts())
    # What thread_recount and category_recount keep, for every thread at once.
    sql(
        """
        UPDATE community_thread t
           SET reply_count = s.n - 1, like_count = s.likes, last_number = s.n,
               last_post_id = s.last_id, last_post_at = s.last_at
          FROM (SELECT thread_id, COUNT(*) AS n, SUM(like_count) AS likes,
                       MAX(created_at) AS last_at,
                       (ARRAY_AGG(id ORDER BY number DESC))[1] AS last_id
                  FROM community_post WHERE status = %s GROUP BY thread_id) s
         WHERE s.thread_id = t.id
        """,
        [PUBLISHED],
    )
    sql(
        """
        UPDATE community_forumcategory c
           SET thread_count = s.threads, post_count = s.posts, last_post_at = s.last_at
          FROM (SELECT category_id, COUNT(*) AS threads, SUM(reply_count + 1) AS posts,
                       MAX(last_post_at) AS last_at
                  FROM community_thread WHERE status = %s GROUP BY category_id) s
         WHERE s.category_id = c.id
        """,
        [PUBLISHED],
    )
    return len(categories), len(thread_ids), post_count


def seed_qa(rng: random.Random, users, products: list[int], now) -> tuple[int, int]:
    bodies = [(md, render_markdown(md)) for md in ANSWERS_GIVEN]
    asked = []
    for i in range(QUESTIONS):
        created = spread(rng, now, days=180)
        asked.append((created, products[i % 100] if i < PRODUCT_QUESTIONS else None))
    copy_rows(
        Question,
        (
            {
                "author_id": users[(i * 7) % len(users)].pk,
                "title": rng.choice(QUESTIONS_ASKED),
                "body_md": "",
                "body_html": "",
                "product_id": product_id,
                "status": PUBLISHED,
                "published_at": created,
                "last_activity_at": created,
                "created_at": created,
                "updated_at": created,
            }
            for i, (created, product_id) in enumerate(asked)
        ),
    )
    question_ids = ids_in_order(Question)

    def answers():
        for qid, (created, _product) in zip(question_ids, asked, strict=True):
            n = rng.choice((0, 0, 1, 1, 2, 3, 4, 6))
            accepted = rng.randrange(n) if n and rng.random() < 0.33 else -1
            for a in range(n):
                md, html = rng.choice(bodies)
                when = created + timedelta(hours=rng.randrange(1, 24 * 30))
                yield {
                    "question_id": qid,
                    "author_id": rng.choice(users).pk,
                    "body_md": md,
                    "body_html": html,
                    "status": PUBLISHED,
                    "published_at": when,
                    "score": rng.randrange(-1, 8),
                    "is_accepted": a == accepted,
                    "created_at": when,
                    "updated_at": when,
                }

    answer_count = copy_rows(Answer, answers())
    sql(
        """
        UPDATE community_question q
           SET answer_count = s.n, last_activity_at = GREATEST(q.last_activity_at, s.last_at),
               accepted_answer_id = s.accepted
          FROM (SELECT question_id, COUNT(*) AS n, MAX(created_at) AS last_at,
                       MAX(id) FILTER (WHERE is_accepted) AS accepted
                  FROM community_answer WHERE status = %s GROUP BY question_id) s
         WHERE s.question_id = q.id
        """,
        [PUBLISHED],
    )
    return len(question_ids), answer_count


def seed_polls(rng: random.Random, users, products: list[int], now) -> tuple[int, int]:
    created = [now - timedelta(days=rng.randrange(1, 20)) for _ in POLL_QUESTIONS[:POLLS]]
    copy_rows(
        Poll,
        (
            {
                "author_id": users[i * 13].pk,
                "title": title,
                "body_md": "",
                "body_html": "",
                "status": PUBLISHED,
                "published_at": created[i],
                "product_id": products[i] if i % 2 else None,
                "close_at": now + timedelta(days=30),
                "created_at": created[i],
                "updated_at": created[i],
            }
            for i, (title, _options) in enumerate(POLL_QUESTIONS[:POLLS])
        ),
    )
    poll_ids = ids_in_order(Poll)
    copy_rows(
        PollOption,
        (
            {"poll_id": pid, "label": label, "position": position}
            for pid, (_title, options) in zip(poll_ids, POLL_QUESTIONS, strict=False)
            for position, label in enumerate(options, 1)
        ),
    )
    options: dict[int, list[int]] = {}
    for option_id, poll_id in PollOption.objects.order_by("pk").values_list("pk", "poll_id"):
        options.setdefault(poll_id, []).append(option_id)
    voters = {pid: rng.sample(users, rng.randrange(200, 601)) for pid in poll_ids}
    copy_rows(
        PollBallot,
        (
            {"poll_id": pid, "voter_id": u.pk, "created_at": created[i], "updated_at": now}
            for i, pid in enumerate(poll_ids)
            for u in voters[pid]
        ),
    )
    ballots = list(PollBallot.objects.order_by("pk").values_list("pk", "poll_id", "voter_id"))
    vote_count = copy_rows(
        PollVote,
        (
            {
                "ballot_id": ballot_id,
                "poll_id": poll_id,
                "option_id": rng.choices(
                    options[poll_id], weights=range(len(options[poll_id]) + 1, 1, -1)
                )[0],
                "voter_id": voter_id,
                "created_at": now,
            }
            for ballot_id, poll_id, voter_id in ballots
        ),
    )
    sql(
        """UPDATE community_polloption o SET vote_count = s.n
             FROM (SELECT option_id, COUNT(*) AS n FROM community_pollvote
                    GROUP BY option_id) s WHERE s.option_id = o.id"""
    )
    sql(
        """UPDATE community_poll p SET voter_count = s.n
             FROM (SELECT poll_id, COUNT(*) AS n FROM community_pollballot
                    GROUP BY poll_id) s WHERE s.poll_id = p.id"""
    )
    return len(poll_ids), vote_count


def seed() -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    now = timezone.now()
    users = list(
        get_user_model().objects.filter(email__startswith="shopper").order_by("pk").only("email")
    )
    # Popular first: review and forum interest follow the shop's sales.
    products = list(
        Product.objects.filter(is_published=True)
        .order_by("-sales_count", "pk")
        .values_list("pk", flat=True)
    )
    seed_profiles(users, now)
    log(f"{len(users)} member profiles", started)
    reviews, votes = seed_reviews(rng, users, products, now)
    log(f"{reviews} reviews, {votes} helpful votes", started)
    ratings = recount_ratings(now)
    log(f"{ratings} product ratings recounted", started)
    categories, threads, posts = seed_forums(rng, users, products, now)
    log(f"{categories} forum categories, {threads} threads, {posts} posts", started)
    questions, answers = seed_qa(rng, users, products, now)
    log(f"{questions} questions, {answers} answers", started)
    polls, poll_votes = seed_polls(rng, users, products, now)
    log(f"{polls} polls, {poll_votes} votes", started)
    sql(
        """
        UPDATE community_memberprofile m SET published_count = s.n
          FROM (SELECT author_id, COUNT(*) AS n FROM (
                    SELECT author_id FROM community_review WHERE status = %(p)s
                    UNION ALL SELECT author_id FROM community_post WHERE status = %(p)s
                    UNION ALL SELECT author_id FROM community_question WHERE status = %(p)s
                    UNION ALL SELECT author_id FROM community_answer WHERE status = %(p)s
                ) c GROUP BY author_id) s
         WHERE s.author_id = m.user_id
        """,
        {"p": PUBLISHED},
    )
    log("published counts", started)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/community_seed.py needs PostgreSQL (DATABASE_URL=postgres://...).")
    if not Product.objects.exists():
        print("No catalogue yet: running bench/seed.py first.", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("seed.py"))], check=True)
    if already_seeded():
        return
    started = time.monotonic()
    with transaction.atomic():
        seed()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log("VACUUM ANALYZE", started)
    print(
        f"Seeded {Review.objects.count()} reviews on "
        f"{Review.objects.values('product').distinct().count()} products, "
        f"{Thread.objects.count()} threads, {Post.objects.count()} posts, "
        f"{Question.objects.count()} questions, {Answer.objects.count()} answers, "
        f"{Poll.objects.count()} polls in {time.monotonic() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
