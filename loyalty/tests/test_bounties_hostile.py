"""Hostile input on the bounty offer, on the site and in the API: whatever is
sent, the member gets a clear refusal (a form error on the question's page,
a 4xx with a code and, about the points, a field error in the API), never a
server error, and no points leave their balance."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.services import moderation
from community.services.qa import answer_accept, question_ask, question_close_duplicate
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    answer_make,
    make_moderator,
    question_make,
    trusted,
)
from loyalty.models import Bounty
from loyalty.selectors.ledger import balance_of
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db

OFFER_URL = "/rewards/bounties/offer/"
API_URL = "/api/v1/loyalty/bounties/"
WHOLE_NUMBER = "Give a whole number of points."
AT_LEAST = "A bounty is at least 50 points."
AT_MOST = "A bounty is at most 500 points."


def _member(points: int = 1000):
    member = trusted(MemberFactory())
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=points)
    return member


def _nothing_held(member, points: int = 1000) -> None:
    assert not Bounty.objects.exists()
    assert balance_of(user_id=member.pk).available == points


# ------------------------------------------------------------------ the site
@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("-5", AT_LEAST),
        ("0", AT_LEAST),
        ("-0", AT_LEAST),
        ("49", AT_LEAST),
        ("501", AT_MOST),
        (str(10**30), AT_MOST),
        ("-" + str(10**30), AT_LEAST),
        ("9" * 5000, AT_MOST),  # past Python's int() digit limit
        ("ten", WHOLE_NUMBER),
        ("1.5", WHOLE_NUMBER),
        ("100.0", WHOLE_NUMBER),
        ("1e3", WHOLE_NUMBER),
        ("0x64", WHOLE_NUMBER),
        ("1_00", WHOLE_NUMBER),
        ("1 00", WHOLE_NUMBER),
        ("100\x00", WHOLE_NUMBER),
        ("", WHOLE_NUMBER),
        ("   ", WHOLE_NUMBER),
        ("NaN", WHOLE_NUMBER),
        ("<script>alert(1)</script>", WHOLE_NUMBER),
        ("'; DROP TABLE loyalty_bounty; --", WHOLE_NUMBER),
        (None, WHOLE_NUMBER),  # the field left out
    ],
)
def test_hostile_points_on_the_site_are_refused_beside_the_field_holding_nothing(
    client, points, message
):
    # given
    member = _member()
    question = question_make()
    client.force_login(member)
    form = (
        {"question": question.pk} if points is None else {"question": question.pk, "points": points}
    )

    # when
    response = client.post(OFFER_URL, form, follow=True)

    # then the question's page shows the refusal in the form
    html = response.content.decode()
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{question.get_absolute_url()}#bounty"
    assert f'<p class="errorlist" id="bounty-points-error" role="alert">{message}</p>' in html
    assert "<script>alert(1)</script>" not in html
    _nothing_held(member)


@pytest.mark.parametrize(
    ("points", "offered"),
    [(" 100 ", 100), ("\t100\n", 100), ("+100", 100), ("0100", 100), ("١٠٠", 100)],
)
def test_a_whole_number_with_spaces_a_sign_or_other_digits_is_offered_as_that_number(
    client, points, offered
):
    member = _member()
    question = question_make()
    client.force_login(member)

    response = client.post(OFFER_URL, {"question": question.pk, "points": points}, follow=True)

    assert response.status_code == 200
    assert Bounty.objects.get().points == offered
    assert balance_of(user_id=member.pk).available == 1000 - offered


def test_a_long_refused_value_is_shown_back_as_typed_up_to_a_bound(client):
    member = _member()
    question = question_make()
    client.force_login(member)
    huge = str(10**30)

    html = client.post(
        OFFER_URL, {"question": question.pk, "points": huge}, follow=True
    ).content.decode()

    assert f'value="{huge}"' in html
    very_long = "9" * 5000
    html = client.post(
        OFFER_URL, {"question": question.pk, "points": very_long}, follow=True
    ).content.decode()
    assert very_long not in html
    _nothing_held(member)


@pytest.mark.parametrize(
    "question", ["", "x", "0", "-1", "1.5", str(10**30), "9" * 5000, "'; DROP TABLE x; --"]
)
def test_a_hostile_question_on_the_site_is_a_404_holding_nothing(client, question):
    member = _member()
    client.force_login(member)

    response = client.post(OFFER_URL, {"question": question, "points": "100"})

    assert response.status_code == 404
    _nothing_held(member)


def _pending_question():
    return question_ask(author=NewMemberFactory(), title="A question still waiting for approval?")


def _hidden_question():
    question = question_make(title="A question the moderators hid from view?")
    moderation.content_hide(content=question, moderator=make_moderator())
    return question


def _removed_question():
    question = question_make(title="A question its author deleted at once?")
    moderation.content_remove(content=question, actor=question.author)
    return question


@pytest.mark.parametrize("make", [_pending_question, _hidden_question, _removed_question])
def test_a_question_others_cannot_see_is_a_404_that_names_nothing_of_it(client, make):
    # given a question only its author (or moderators) may see
    question = make()
    member = _member()

    # when a visitor, then a member, offers on it
    anonymous = client.post(OFFER_URL, {"question": question.pk, "points": "100"})
    client.force_login(member)
    signed_in = client.post(OFFER_URL, {"question": question.pk, "points": "100"})

    # then neither learns where it is (its title is in its address)
    assert anonymous.status_code == signed_in.status_code == 404
    assert question.slug not in anonymous.get("Location", "")
    _nothing_held(member)


def test_the_author_of_a_pending_question_is_told_to_wait_for_its_publication(client):
    author = NewMemberFactory()
    points_award(user_id=author.pk, rule="adjust", subject="gift", points=1000)
    question = question_ask(author=author, title="Mine, still waiting for approval?")
    assert question.status == "pending"
    client.force_login(author)

    response = client.post(OFFER_URL, {"question": question.pk, "points": "100"}, follow=True)

    assert "A bounty can be offered once the question is published." in response.content.decode()
    _nothing_held(author)


def test_a_closed_or_answered_question_refuses_an_old_forms_offer_clearly(client):
    member = _member()
    original, duplicate = question_make(), question_make(title="The very same question again?")
    question_close_duplicate(question=duplicate, original=original, moderator=make_moderator())
    answered = question_make(title="A question with an accepted answer?")
    answer_accept(answer=answer_make(answered), user=answered.author)
    client.force_login(member)

    closed = client.post(OFFER_URL, {"question": duplicate.pk, "points": "100"}, follow=True)
    taken = client.post(OFFER_URL, {"question": answered.pk, "points": "100"}, follow=True)

    assert "closed as a duplicate" in closed.content.decode()
    assert "This question already has an accepted answer." in taken.content.decode()
    _nothing_held(member)


def test_a_member_may_offer_on_someone_elses_question(client):
    member = _member()
    question = question_make()  # asked by another member
    client.force_login(member)

    client.post(OFFER_URL, {"question": question.pk, "points": "100"})

    assert Bounty.objects.get().offerer == member
    assert balance_of(user_id=member.pk).available == 900


# ------------------------------------------------------------------- the API
@pytest.fixture
def api():
    return APIClient()


@pytest.mark.parametrize(
    "points",
    [
        -5,
        0,
        10**9 + 1,
        10**30,
        -(10**30),
        "100",
        "١٠٠",
        " 100 ",
        "ten",
        1.5,
        100.0,
        True,
        None,
        [100],
        {"n": 1},
    ],
)
def test_hostile_points_in_the_api_are_a_400_with_a_field_error(api, points):
    member = _member()
    question = question_make()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question.pk, "points": points}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"]
    assert list(body["errors"]) == ["points"]
    assert all(isinstance(m, str) and m for m in body["errors"]["points"])
    _nothing_held(member)


@pytest.mark.parametrize("question_id", [-1, 0, 2**63, 10**30, "1", "x", 1.5, None, True, [1]])
def test_a_hostile_question_id_in_the_api_is_a_400_with_a_field_error(api, question_id):
    member = _member()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question_id, "points": 100}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["question_id"]
    _nothing_held(member)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"question_id", "points"}),
        ({"question_id": 1}, {"points"}),
        ({"points": 100}, {"question_id"}),
    ],
)
def test_missing_fields_in_the_api_are_a_400_naming_each(api, body, fields):
    member = _member()
    api.force_authenticate(member)

    response = api.post(API_URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    _nothing_held(member)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("[1, 2]", "application/json"),
        ('{"question_id": 1, "points": NaN}', "application/json"),
        ('{"question_id": 1, "points": Infinity}', "application/json"),
        ('{"question_id": 1, "points": 1', "application/json"),
        ("question_id=1&points=100", "application/x-www-form-urlencoded"),
        ('{"question_id": 1, "points": 100}', "text/plain"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_4xx_not_a_500(api, content, content_type):
    member = _member()
    api.force_authenticate(member)

    response = api.generic("POST", API_URL, content, content_type=content_type)

    assert response.status_code in (400, 415)
    assert response.json()["code"]
    _nothing_held(member)


@pytest.mark.parametrize(
    ("points", "code"),
    [(49, "bounty_too_small"), (501, "bounty_too_large"), (10**9, "bounty_too_large")],
)
def test_points_outside_the_programs_bounds_are_a_422_with_a_field_error(api, points, code):
    member = _member()
    question = question_make()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question.pk, "points": points}, format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["errors"] == {"points": [body["detail"]]}
    _nothing_held(member)


def test_more_points_than_the_member_has_is_a_422_with_a_field_error(api):
    member = _member(points=100)
    question = question_make()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question.pk, "points": 200}, format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "insufficient_points"
    assert body["errors"]["points"] == [body["detail"]]
    _nothing_held(member, points=100)


@pytest.mark.parametrize("make", [_pending_question, _hidden_question, _removed_question])
def test_a_question_others_cannot_see_is_a_404_in_the_api(api, make):
    question = make()
    member = _member()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question.pk, "points": 100}, format="json")

    assert response.status_code == 404
    assert question.title not in response.content.decode()
    _nothing_held(member)


def test_closed_and_answered_questions_are_a_422_with_their_codes_in_the_api(api):
    member = _member()
    original, duplicate = question_make(), question_make(title="The very same question again?")
    question_close_duplicate(question=duplicate, original=original, moderator=make_moderator())
    answered = question_make(title="A question with an accepted answer?")
    answer_accept(answer=answer_make(answered), user=answered.author)
    api.force_authenticate(member)

    closed = api.post(API_URL, {"question_id": duplicate.pk, "points": 100}, format="json")
    taken = api.post(API_URL, {"question_id": answered.pk, "points": 100}, format="json")

    assert (closed.status_code, closed.json()["code"]) == (422, "question_closed")
    assert (taken.status_code, taken.json()["code"]) == (422, "question_answered")
    _nothing_held(member)


def test_a_member_may_offer_on_someone_elses_question_in_the_api(api):
    member = _member()
    api.force_authenticate(member)

    response = api.post(API_URL, {"question_id": question_make().pk, "points": 100}, format="json")

    assert response.status_code == 201
    assert balance_of(user_id=member.pk).available == 900
