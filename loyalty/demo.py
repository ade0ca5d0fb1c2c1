"""The rewards program's demo data for `manage.py seed_demo` (registered in
LoyaltyConfig.ready), in three steps around the other apps' seeders:

- `seed_program` (before the shop's orders): the default earning rules, three
  tiers, badges in bronze, silver and gold, this month's challenge and a few
  rewards, in English and Bahasa Indonesia. Defined first, so the demo
  shoppers' activity meets the whole program: their purchase points follow
  their tier's multiplier and badges come as they qualify.
- `seed_order_points` (after the shop's orders) and `seed_activity` (after
  the community's posts): the shoppers' orders, reviews, answers, forum
  posts and poll votes earn their points through the real event path. Their
  events wait in the outbox (quiet events are left to `seed_demo`, which may
  run with no worker), so each step delivers them through core's delivery
  service, as a worker would. The points of the orders the shop delivered
  are released as the hourly task releases them once the return window has
  passed; the last step sets the early-access drop on a product still to
  launch, rebuilds the leaderboards, and fails the load if the ledger does
  not reconcile.

Idempotent: everything is found again by its code or name, and a second run
has no event left to deliver and no points left to release."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_USERS
from core import hooks
from core.services import outbox_deliver_quiet
from loyalty.marks_cache import all_marks_changed
from loyalty.models import (
    Award,
    Badge,
    BadgeCriterion,
    BadgeLevel,
    Challenge,
    DropAudience,
    EarlyAccessDrop,
    EarningRule,
    MemberBadge,
    MemberTier,
    PointsAccount,
    Reward,
    RewardKind,
    Tier,
)
from loyalty.selectors.leaderboards import ALL_TIME, leaderboard
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.badges import badges_check, challenges_check
from loyalty.services.early_access import unlaunched_product_ids
from loyalty.services.leaderboards import leaderboards_rebuild
from loyalty.services.ledger import account_lock, points_release_due, return_window
from loyalty.services.rules import earning_rules_ensure
from loyalty.services.tiers import member_tier_recompute

# name, mark beside names, threshold (qualifying points a calendar year),
# multiplier, colour, perks (English, Bahasa Indonesia)
TIERS = [
    (
        "Insider",
        "",
        Decimal("0"),
        Decimal("1.00"),
        "#6b7280",
        "Points on every order, review and answer, and birthday points.",
        "Poin untuk setiap pesanan, ulasan dan jawaban, serta poin ulang tahun.",
    ),
    (
        "VIB",
        "VIB",
        Decimal("1100"),
        Decimal("1.25"),
        "#b8860b",
        "1.25 × points on orders and early access to new products.",
        "Poin pesanan 1,25 × dan akses awal ke produk baru.",
    ),
    (
        "Rouge",
        "Rouge",
        Decimal("2500"),
        Decimal("1.50"),
        "#9b1c31",
        "1.5 × points on orders, every early-access drop and first pick of limited rewards.",
        "Poin pesanan 1,5 ×, semua akses awal dan pilihan pertama hadiah terbatas.",
    ),
]
# The tier the demo drop opens to (and above), by its name.
DROP_TIER = "VIB"

COUNT, POINTS, DAYS, PLACE = (
    BadgeCriterion.AWARD_COUNT,
    BadgeCriterion.POINTS_EARNED,
    BadgeCriterion.MEMBER_DAYS,
    BadgeCriterion.LEADERBOARD_TOP,
)
BRONZE, SILVER, GOLD = BadgeLevel.BRONZE, BadgeLevel.SILVER, BadgeLevel.GOLD
# code, level, earned for, rule counted, threshold, shown beside names,
# name and description (English, Bahasa Indonesia)
BADGES = [
    ("first-order", BRONZE, COUNT, "purchase", 1, False,
     "First order", "Pesanan pertama",
     "Paid for a first order.", "Membayar pesanan pertama."),
    ("regular", SILVER, COUNT, "purchase", 5, True,
     "Regular", "Pelanggan tetap",
     "Five paid orders.", "Lima pesanan yang sudah dibayar."),
    ("patron", GOLD, COUNT, "purchase", 25, True,
     "Patron", "Pelanggan setia",
     "Twenty-five paid orders.", "Dua puluh lima pesanan yang sudah dibayar."),
    ("first-review", BRONZE, COUNT, "review", 1, False,
     "First review", "Ulasan pertama",
     "Wrote a first review.", "Menulis ulasan pertama."),
    ("reviewer", SILVER, COUNT, "review", 10, True,
     "Reviewer", "Pengulas",
     "Ten published reviews.", "Sepuluh ulasan yang terbit."),
    ("in-pictures", BRONZE, COUNT, "review_photo", 3, True,
     "In pictures", "Lewat foto",
     "Three reviews with a photo.", "Tiga ulasan dengan foto."),
    ("pioneer", SILVER, COUNT, "first_review", 3, True,
     "Pioneer", "Perintis",
     "First to review three products.", "Pengulas pertama untuk tiga produk."),
    ("helpful", BRONZE, COUNT, "review_helpful", 5, True,
     "Helpful", "Bermanfaat",
     "Reviews marked helpful five times.", "Ulasannya lima kali dinilai bermanfaat."),
    ("helping-hand", BRONZE, COUNT, "answer", 3, True,
     "Helping hand", "Siap membantu",
     "Answered three questions.", "Menjawab tiga pertanyaan."),
    ("accepted-answer", SILVER, COUNT, "answer_accepted", 1, True,
     "Accepted answer", "Jawaban terpilih",
     "An answer the asker accepted.", "Jawabannya dipilih oleh penanya."),
    ("problem-solver", GOLD, COUNT, "answer_accepted", 10, True,
     "Problem solver", "Pemecah masalah",
     "Ten accepted answers.", "Sepuluh jawaban terpilih."),
    ("thousand-club", SILVER, POINTS, "", 1000, True,
     "Thousand club", "Klub seribu",
     "Earned 1,000 points.", "Mengumpulkan 1.000 poin."),
    ("first-week", BRONZE, DAYS, "", 7, False,
     "First week", "Minggu pertama",
     "A member for a week.", "Sudah seminggu menjadi anggota."),
    ("top-three", GOLD, PLACE, "", 3, True,
     "Top three", "Tiga besar",
     "Among a month's three best earners.",
     "Termasuk tiga pengumpul poin terbanyak dalam sebulan."),
]  # fmt: skip

# This month's challenge: rule, target, bonus points, name and description.
CHALLENGE = (
    "answer",
    3,
    50,
    "Answer three questions this month",
    "Jawab tiga pertanyaan bulan ini",
    "Share what you know with other shoppers: three answers before the month ends "
    "earn 50 bonus points.",
    "Bagikan pengalaman Anda kepada pembeli lain: tiga jawaban sebelum akhir bulan "
    "mendapat 50 poin bonus.",
)

# name (the same in both languages), kind, value, minimum order, price in
# points, stock, limit per member
REWARDS = [
    ("Voucher Rp 10.000", RewardKind.FIXED, "10000", "100000", 800, None, None),
    ("Voucher 10%", RewardKind.PERCENT, "10", "250000", 2500, 50, 1),
    ("Voucher Rp 50.000", RewardKind.FIXED, "50000", "400000", 4000, 100, None),
]

# The demo drop's name: a proper name, the same in both languages.
DROP_NAME = "VIB Preview"


def _shoppers() -> list:
    emails = [email for email, _name, staff in DEMO_USERS if not staff]
    users = get_user_model().objects.filter(email__in=emails, is_staff=False)
    by_email = {user.email: user for user in users}
    return [by_email[email] for email in emails if email in by_email]


# ------------------------------------------------------------------ program
def _tiers() -> int:
    made = 0
    for order, row in enumerate(TIERS):
        name, label, threshold, multiplier, colour, perks, perks_id = row
        if Tier.objects.filter(name_en=name).exists():
            continue
        if Tier.objects.filter(threshold=threshold).exists():
            continue  # the shop's own tier holds this threshold: keep it
        Tier.objects.create(
            name_en=name,
            name_ind=name,
            description_en=perks,
            description_ind=perks_id,
            badge_label=label,
            threshold=threshold,
            multiplier=multiplier,
            colour=colour,
            order=order * 10,
        )
        made += 1
    return made


def _badges() -> int:
    made = 0
    for order, row in enumerate(BADGES):
        code, level, criterion, rule, threshold, beside, name, name_id, text, text_id = row
        _badge, created = Badge.objects.get_or_create(
            code=code,
            defaults={
                "level": level,
                "criterion": criterion,
                "rule": rule,
                "threshold": threshold,
                "show_next_to_name": beside,
                "name_en": name,
                "name_ind": name_id,
                "description_en": text,
                "description_ind": text_id,
                "order": order * 10,
            },
        )
        made += int(created)
    return made


def _month(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(now)
    zone = local.tzinfo
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    end = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _challenge(now: dt.datetime) -> tuple[Challenge, bool]:
    rule, target, bonus, name, name_id, text, text_id = CHALLENGE
    start, end = _month(now)
    return Challenge.objects.get_or_create(
        rule=rule,
        starts_at=start,
        defaults={
            "ends_at": end,
            "target": target,
            "bonus_points": bonus,
            "name_en": name,
            "name_ind": name_id,
            "description_en": text,
            "description_ind": text_id,
        },
    )


def _rewards() -> int:
    made = 0
    for name, kind, value, minimum, price, stock, limit in REWARDS:
        _reward, created = Reward.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "value": Decimal(value),
                "minimum_subtotal": Decimal(minimum),
                "points_price": price,
                "stock": stock,
                "limit_per_member": limit,
            },
        )
        made += int(created)
    return made


def seed_program(stdout) -> None:
    """The program the demo shoppers earn in (before their activity)."""
    rules = earning_rules_ensure()
    tiers = _tiers()
    badges = _badges()
    challenge, challenge_new = _challenge(timezone.now())
    rewards = _rewards()
    if tiers or badges:
        all_marks_changed()
    stdout.write(
        f"Rewards program: {EarningRule.objects.count()} earning rules ({rules} new), "
        f"{Tier.objects.count()} tiers ({tiers} new), {Badge.objects.count()} badges "
        f"({badges} new), challenge “{challenge.name_en}”{' (new)' if challenge_new else ''}, "
        f"{Reward.objects.count()} rewards ({rewards} new)."
    )


# ----------------------------------------------------------------- activity
def _release_delivered(member_ids: list[int]) -> int:
    """The demo's orders were delivered just now, if at all: release their
    points as the hourly task (points_release_due) will once the return
    window has passed. The demo members' awards only, and only those a
    delivery gave a date: an order paid or on its way keeps its points
    pending."""
    demo_now = timezone.now() + return_window()
    released = 0
    while True:
        done = points_release_due(now=demo_now, user_ids=member_ids)
        released += done
        if done < 500:
            return released


def _catch_up(member_ids: list[int]) -> int:
    """For a database whose demo activity was delivered before this program
    was defined (an older demo): the badges the members already qualify for,
    this month's challenges and a first tier, through the program's own
    checks. Nothing for a member who has them already."""
    counted = set(
        Badge.objects.filter(enabled=True, criterion=BadgeCriterion.AWARD_COUNT).values_list(
            "rule", flat=True
        )
    )
    now = timezone.now()
    challenge_rules = set(
        Challenge.objects.filter(enabled=True, starts_at__lte=now, ends_at__gt=now).values_list(
            "rule", flat=True
        )
    )
    given = 0
    for user_id in PointsAccount.objects.filter(user_id__in=member_ids).values_list(
        "user_id", flat=True
    ):
        with transaction.atomic():
            account = account_lock(user_id=user_id)
            given += len(badges_check(user_id=user_id, rules=counted, account=account))
            for rule in sorted(challenge_rules):
                challenges_check(user_id=user_id, rule=rule)
            if not MemberTier.objects.filter(user_id=user_id).exists():
                member_tier_recompute(user_id=user_id)
    return given


def _drop(now: dt.datetime) -> tuple[EarlyAccessDrop | None, str]:
    """The demo drop on a product still to launch (the shop names those
    through UPCOMING_PRODUCTS), open now to VIB members and above. A drop
    whose product has launched since moves to one still to come."""
    drop = EarlyAccessDrop.objects.filter(name=DROP_NAME).first()
    if drop is not None and unlaunched_product_ids(drop.product_ids, now=now):
        return drop, "already there"
    upcoming = hooks.call_first(hooks.UPCOMING_PRODUCTS, limit=20, default=[]) or []
    cards = hooks.call_first(hooks.PRODUCT_CARDS, upcoming, default=[]) if upcoming else []
    cards = [card for card in cards or [] if card["launch_at"] and card["launch_at"] > now]
    if not cards:
        return drop, "no product launches later"
    # The product launching last: the drop stays open the longest.
    card = max(cards, key=lambda card: (card["launch_at"], card["id"]))
    if drop is None:
        drop = EarlyAccessDrop.objects.create(
            name=DROP_NAME,
            product_ids=[card["id"]],
            opens_at=now,
            audience=DropAudience.TIER,
            tier=DROP_TIER.lower(),
        )
        return drop, f"new, on {card['name']}"
    drop.product_ids, drop.opens_at = [card["id"]], now
    drop.save(update_fields=["product_ids", "opens_at", "updated_at"])
    return drop, f"moved to {card['name']}"


def _rebuild_leaderboards(stdout) -> None:
    rebuilt = leaderboards_rebuild()
    if rebuilt:
        stdout.write(f"  leaderboards: {rebuilt} rebuilt in Redis from the ledger")
    else:
        stdout.write("  leaderboards: no Redis, read from the ledger")


def _mismatch_user_ids(mismatches) -> set[int]:
    awards = [int(m.key) for m in mismatches if m.what == "award"]
    users = {int(m.key) for m in mismatches if m.what == "account"}
    return users | set(Award.objects.filter(pk__in=awards).values_list("user_id", flat=True))


def _reconcile() -> None:
    """The ledger's reconciliation (`manage.py reconcile`), failing the load
    if anything disagrees. The check reads the ledger in several queries, so
    a worker's points committed between them would look like a mismatch: what
    it finds is checked again with those members' accounts locked (their
    writers finished), and only what both checks find is reported."""
    mismatches = list(ledger_mismatches())
    if mismatches:
        first = {(m.what, m.key, m.field) for m in mismatches}
        users = _mismatch_user_ids(mismatches)
        list(PointsAccount.objects.select_for_update().filter(user_id__in=users).order_by("pk"))
        mismatches = [m for m in ledger_mismatches() if (m.what, m.key, m.field) in first]
    if mismatches:
        lines = "\n".join(f"  {mismatch}" for mismatch in mismatches[:20])
        raise CommandError(
            f"The points ledger does not reconcile after the demo load "
            f"({len(mismatches)} mismatches):\n{lines}"
        )


def _member_line(user) -> str:
    account = PointsAccount.objects.filter(user=user).first()
    if account is None:
        return f"  {user.email:<24} no points"
    tier = MemberTier.objects.filter(user=user).select_related("tier").first()
    badges = MemberBadge.objects.filter(user=user).count()
    board = leaderboard(scope=ALL_TIME, user_id=user.pk, with_users=False)
    place = f", #{board.me.rank} all time" if board.me is not None else ""
    tier_name = tier.tier.name_en if tier is not None and tier.tier is not None else "no tier"
    return (
        f"  {user.email:<24} {account.available} available, {account.pending} pending, "
        f"{tier_name}, {badges} badges{place}"
    )


def seed_order_points(stdout) -> None:
    """The demo shoppers' purchase points (after the shop's seeder, before
    the community's): their orders' events delivered, and the points of the
    orders delivered released. Their reviews and answers come later, so they
    top each member's points history."""
    delivered = outbox_deliver_quiet()
    member_ids = [user.pk for user in _shoppers()]
    released = _release_delivered(member_ids) if member_ids else 0
    stdout.write(
        f"Rewards for orders: {delivered} event deliveries, {released} orders' points "
        "released after their return window."
    )


def seed_activity(stdout) -> None:
    """The demo shoppers' points for their posts, badges, tiers and places
    (after the community's seeders); the ledger must reconcile."""
    now = timezone.now()
    delivered = outbox_deliver_quiet()
    shoppers = _shoppers()
    member_ids = [user.pk for user in shoppers]
    # Orders delivered since seed_order_points ran (a worker), or by an older demo.
    released = _release_delivered(member_ids) if member_ids else 0
    caught_up = _catch_up(member_ids) if member_ids else 0
    drop_state = _drop(now)[1]
    _reconcile()
    stdout.write(
        f"Rewards for posts: {delivered} event deliveries"
        + (f", {released} more orders' points released" if released else "")
        + (f", {caught_up} badges caught up" if caught_up else "")
        + f"; early-access drop “{DROP_NAME}”: {drop_state}; the ledger reconciles."
    )
    for user in shoppers:
        stdout.write(_member_line(user))
    # The boards are rebuilt from the committed ledger, after the points'
    # own updates of them (they run when this load's transaction commits).
    transaction.on_commit(lambda: _rebuild_leaderboards(stdout))
