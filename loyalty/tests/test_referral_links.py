"""Hostile and odd `?ref=` codes: every case is said in a message on the
page, nothing breaks, and no referral (hence no points) comes of a code that
is not a current member's, nor of a link followed by a member."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.receivers import REFERRAL_SESSION_KEY
from accounts.tests.factories import PASSWORD, UserFactory
from loyalty.models import LedgerEntry, Referral
from loyalty.selectors.ledger import balance_of
from loyalty.services.ledger import points_award
from loyalty.services.referrals import referral_code_for

pytestmark = pytest.mark.django_db

SIGNUP = reverse("account_signup")
NOT_VALID = "This invite link is not valid: check that it was copied whole."
JOINING = "You are joining through a member&#x27;s invite: sign up to accept it."
MEMBER_ALREADY = "Invite links are for people who have not joined yet"
OWN_LINK = "This is your own invite link: share it with friends who have not joined yet."


def _sign_up(client, django_capture_on_commit_callbacks, email="friend@example.com"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP, {"email": email, "password1": PASSWORD, "password2": PASSWORD}
        )
    assert response.status_code == 302
    return get_user_model().objects.get(email=email)


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "abc",
        "A" * 33,
        "9" * 5000,
        "ZZZZ9999",  # well formed, nobody's
        "' OR 1=1 --",
        "ABCD2345'; DROP TABLE loyalty_referralcode; --",
        "<script>alert(1)</script>",
        "ABCD 2345",
        "ABCD2345\n",
        "ABCD2345\x00",
        "١٢٣٤٥٦٧٨",
        "ＡＢＣＤ２３４５",  # full-width letters and digits
    ],
)
def test_a_code_that_is_not_a_members_is_said_not_valid_and_links_nobody(
    client, django_capture_on_commit_callbacks, ref
):
    # given a member whose code is not the one sent
    referral_code_for(user_id=UserFactory().pk)

    # when a visitor follows the link, then signs up
    response = client.get(SIGNUP, {"ref": ref})

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_VALID in html
    assert "<script>alert(1)</script>" not in html
    assert REFERRAL_SESSION_KEY not in client.session
    friend = _sign_up(client, django_capture_on_commit_callbacks)
    assert friend.referred_by_code == ""
    assert not Referral.objects.exists()


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {code} ", "\t{lower}\n", "{mixed}"])
def test_a_members_code_in_any_case_or_with_spaces_links_the_friend(
    client, django_capture_on_commit_callbacks, typed
):
    # given
    referrer = UserFactory()
    code = referral_code_for(user_id=referrer.pk)
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(code))
    ref = typed.format(code=code, lower=code.lower(), mixed=mixed)

    # when
    response = client.get(SIGNUP, {"ref": ref})

    # then
    assert JOINING in response.content.decode()
    assert client.session[REFERRAL_SESSION_KEY] == code
    friend = _sign_up(client, django_capture_on_commit_callbacks)
    assert friend.referred_by_code == code
    assert Referral.objects.get(referred=friend).referrer == referrer


def test_the_same_link_followed_again_is_not_announced_twice(client):
    code = referral_code_for(user_id=UserFactory().pk)

    first = client.get("/", {"ref": code}).content.decode()
    again = client.get("/", {"ref": code}).content.decode()

    assert JOINING in first
    assert JOINING not in again
    assert client.session[REFERRAL_SESSION_KEY] == code


def test_a_bad_link_after_a_good_one_keeps_the_good_code(client):
    code = referral_code_for(user_id=UserFactory().pk)
    client.get(SIGNUP, {"ref": code})

    html = client.get(SIGNUP, {"ref": "NOBODY99"}).content.decode()

    assert NOT_VALID in html
    assert client.session[REFERRAL_SESSION_KEY] == code


def test_the_code_of_a_member_who_left_is_not_valid(client, django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False)
    code = referral_code_for(user_id=gone.pk)

    html = client.get(SIGNUP, {"ref": code}).content.decode()

    assert NOT_VALID in html
    friend = _sign_up(client, django_capture_on_commit_callbacks)
    assert not Referral.objects.filter(referred=friend).exists()


def test_a_code_kept_from_before_its_member_left_links_nobody(
    client, django_capture_on_commit_callbacks
):
    # given a visitor who followed the link while the member was still here
    referrer = UserFactory()
    client.get(SIGNUP, {"ref": referral_code_for(user_id=referrer.pk)})
    get_user_model().objects.filter(pk=referrer.pk).update(is_active=False)

    # when
    friend = _sign_up(client, django_capture_on_commit_callbacks)

    # then
    assert not Referral.objects.filter(referred=friend).exists()


@pytest.mark.parametrize("whose", ["another member's", "their own", "nobody's"])
def test_a_signed_in_member_following_an_invite_link_is_told_it_changes_nothing(client, whose):
    # given a member with points
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=300)
    entries = LedgerEntry.objects.count()
    code = {
        "another member's": lambda: referral_code_for(user_id=UserFactory().pk),
        "their own": lambda: referral_code_for(user_id=member.pk),
        "nobody's": lambda: "ZZZZ9999",
    }[whose]()
    client.force_login(member)

    # when
    response = client.get("/", {"ref": code})

    # then
    text = response.content.decode()
    assert response.status_code == 200
    assert (OWN_LINK if whose == "their own" else MEMBER_ALREADY) in text
    assert REFERRAL_SESSION_KEY not in client.session
    assert not Referral.objects.exists()
    assert LedgerEntry.objects.count() == entries
    assert balance_of(user_id=member.pk).available == 300
