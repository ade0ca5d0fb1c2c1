from __future__ import annotations

from decimal import Decimal

from django.db import migrations

# (code, points, points per currency unit, daily cap, lifetime cap, trust level)
# IDR: 1 point per Rp 10,000 spent.
DEFAULT_RULES = [
    ("purchase", 0, Decimal("0.0001"), None, None, 0),
    ("signup", 100, Decimal("0"), None, None, 0),
    ("email_verified", 50, Decimal("0"), None, None, 0),
    ("review", 20, Decimal("0"), 100, None, 0),
    ("review_photo", 10, Decimal("0"), 50, None, 0),
    ("first_review", 30, Decimal("0"), 90, None, 0),
    ("review_helpful", 2, Decimal("0"), 20, None, 0),
    ("answer", 5, Decimal("0"), 25, None, 0),
    ("answer_accepted", 15, Decimal("0"), 75, None, 0),
    ("forum_thread", 5, Decimal("0"), 15, None, 1),
    ("forum_reply", 2, Decimal("0"), 10, None, 1),
    ("poll_vote", 1, Decimal("0"), 5, None, 0),
    ("daily_visit", 1, Decimal("0"), None, None, 0),
    ("birthday", 100, Decimal("0"), None, None, 0),
    ("profile_completed", 30, Decimal("0"), None, 30, 0),
    ("referral", 200, Decimal("0"), None, 2000, 0),
]


def create_rules(apps, schema_editor):
    EarningRule = apps.get_model("loyalty", "EarningRule")
    for code, points, per_unit, daily, lifetime, trust in DEFAULT_RULES:
        EarningRule.objects.get_or_create(
            code=code,
            defaults={
                "points": points,
                "points_per_unit": per_unit,
                "daily_cap": daily,
                "lifetime_cap": lifetime,
                "min_trust_level": trust,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0005_rules")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
