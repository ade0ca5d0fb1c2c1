"""Earning rules in the admin: staff change what a rule earns, its caps and
whether it runs; bad numbers are refused with a message and change nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import EarningRule, RuleCode
from loyalty.services.rules import earning_rules_ensure, rule_award

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(django_db_blocker):
    with django_db_blocker.unblock():
        earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows


@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff = StaffFactory(is_superuser=False)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="loyalty",
            codename__in=["view_earningrule", "change_earningrule"],
        )
    )
    client.force_login(staff)
    return client


def _form(rule: EarningRule, **changes) -> dict:
    data = {
        "enabled": "on" if rule.enabled else "",
        "points": rule.points,
        "points_per_unit": rule.points_per_unit,
        "daily_cap": "" if rule.daily_cap is None else rule.daily_cap,
        "lifetime_cap": "" if rule.lifetime_cap is None else rule.lifetime_cap,
        "min_trust_level": rule.min_trust_level,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _change(client, rule, **changes):
    return client.post(
        reverse("admin:loyalty_earningrule_change", args=[rule.pk]), _form(rule, **changes)
    )


def _review_rule() -> EarningRule:
    return EarningRule.objects.get(code=RuleCode.REVIEW)


def _award(member, subject):
    return rule_award(
        code=RuleCode.REVIEW,
        user_id=member.pk,
        subject=subject,
        source_event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
    )


def test_staff_change_the_points_and_caps_and_the_next_award_follows(staff_client):
    # given
    rule = _review_rule()
    member = UserFactory()

    # when
    response = _change(staff_client, rule, points=35, daily_cap=50, lifetime_cap=500)

    # then
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points, rule.daily_cap, rule.lifetime_cap) == (35, 50, 500)
    assert _award(member, "review:1").net == 35
    assert _award(member, "review:2").net == 15  # the daily cap of 50


def test_staff_disable_a_rule_and_it_awards_nothing(staff_client):
    # given
    rule = _review_rule()

    # when
    response = _change(staff_client, rule, enabled="")

    # then
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False
    assert _award(UserFactory(), "review:1") is None


def test_blank_caps_mean_no_cap(staff_client):
    # given
    rule = _review_rule()

    # when
    _change(staff_client, rule, daily_cap="", lifetime_cap="")

    # then
    rule.refresh_from_db()
    assert (rule.daily_cap, rule.lifetime_cap) == (None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("daily_cap", -5, "A cap is a number of points, 0 or more. Leave it blank for no cap."),
        ("lifetime_cap", -1, "A cap is a number of points, 0 or more. Leave it blank for no cap."),
        ("points", -10, "Points are 0 or more (disable the rule to stop it)."),
        ("points_per_unit", "-0.5", "Points per currency unit are 0 or more."),
        ("min_trust_level", 3, "Choose a trust level of 0, 1 or 2."),
        ("points", "ten", "Enter a whole number."),
    ],
)
def test_bad_numbers_are_refused_with_a_message_and_change_nothing(
    staff_client, field, value, message
):
    # given
    rule = _review_rule()
    before = EarningRule.objects.filter(pk=rule.pk).values().get()

    # when
    response = _change(staff_client, rule, **{field: value})

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert message in response.content.decode()
    assert EarningRule.objects.filter(pk=rule.pk).values().get() == before


def test_a_lifetime_cap_below_the_daily_cap_is_refused(staff_client):
    # given
    rule = _review_rule()

    # when
    response = _change(staff_client, rule, daily_cap=100, lifetime_cap=40)

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lifetime_cap"] == [
        "The lifetime cap (40) is below the daily cap (100): raise it, or lower the daily cap."
    ]
    rule.refresh_from_db()
    assert (rule.daily_cap, rule.lifetime_cap) == (100, None)


def _list_post(client, rule, **changes):
    data = _form(rule, **changes)
    post = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": rule.pk,
        "_save": "Save",
    }
    for name in ("enabled", "points", "daily_cap", "lifetime_cap", "min_trust_level"):
        if name in data and data[name] != "":
            post[f"form-0-{name}"] = data[name]
        elif name != "enabled":
            post[f"form-0-{name}"] = ""
    return client.post(reverse("admin:loyalty_earningrule_changelist"), post)


def test_the_list_edits_points_caps_and_enabled(staff_client):
    # given
    rule = _review_rule()

    # when
    response = _list_post(staff_client, rule, points=25, daily_cap=75, enabled="")

    # then
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points, rule.daily_cap, rule.enabled) == (25, 75, False)


def test_the_list_refuses_a_negative_cap_with_the_same_message(staff_client):
    # given
    rule = _review_rule()

    # when
    response = _list_post(staff_client, rule, daily_cap=-3)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "A cap is a number of points, 0 or more. Leave it blank for no cap." in page
    rule.refresh_from_db()
    assert rule.daily_cap == 100


def test_the_list_checks_the_caps_against_each_other(staff_client):
    # given
    rule = _review_rule()

    # when
    response = _list_post(staff_client, rule, daily_cap=100, lifetime_cap=10)

    # then
    assert response.status_code == 200
    assert "is below the daily cap" in response.content.decode()
    rule.refresh_from_db()
    assert rule.lifetime_cap is None


def test_rules_cannot_be_deleted_only_disabled(staff_client):
    # given
    rule = _review_rule()

    # when
    response = staff_client.post(reverse("admin:loyalty_earningrule_delete", args=[rule.pk]))

    # then
    assert response.status_code == 403
    assert EarningRule.objects.filter(pk=rule.pk).exists()
    assert rule.points_per_unit == Decimal("0")
