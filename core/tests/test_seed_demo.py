from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_seed_demo_twice_duplicates_nothing():
    # given
    call_command("seed_demo", stdout=io.StringIO())
    users_after_first_run = get_user_model().objects.count()

    # when
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    # then
    assert users_after_first_run >= 4
    assert get_user_model().objects.count() == users_after_first_run
    assert "already there" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_prints_working_credentials_of_a_staff_user():
    # given
    out = io.StringIO()

    # when
    call_command("seed_demo", stdout=out)

    # then
    staff = get_user_model().objects.get(is_staff=True)
    assert staff.email in out.getvalue()
    password = out.getvalue().split("password for all: ")[1].split(")")[0]
    assert staff.check_password(password)
    assert staff.emailaddress_set.get().verified
