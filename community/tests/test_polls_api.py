from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from community.models import Poll, PollOption, PollVote, Revision
from community.services.moderation import content_hide
from community.services.polls import poll_vote
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    bought,
    make_moderator,
    poll_make,
    trusted,
)
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

POLLS = "/api/v1/community/polls/"


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _ids(poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


def test_a_member_creates_a_poll_with_product_options():
    product = ProductFactory()
    response = _api(trusted(MemberFactory())).post(
        POLLS,
        {
            "title": "Which gift?",
            "body": "Pick *two*.",
            "options": [
                {"label": "Basket", "product": product.pk},
                {"label": "Sambal"},
                {"label": "Tea"},
            ],
            "type": "multiple",
            "min_choices": 1,
            "max_choices": 2,
            "results": "on_vote",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "published" and body["type"] == "multiple"
    assert body["options"][0]["product"]["id"] == product.pk
    assert body["results_visible"] is False and body["options"][0]["votes"] is None


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"options": [{"label": "One"}]}, "option_count"),
        ({"options": [{"label": f"O{n}"} for n in range(21)]}, "option_count"),
        ({"options": [{"label": "Red"}, {"label": "RED"}]}, "duplicate_option"),
        ({"type": "multiple", "min_choices": 2, "max_choices": 1}, "min_over_max"),
        ({"close_at": "2020-01-01T00:00:00Z"}, "close_at_past"),
    ],
)
def test_bad_polls_are_refused_with_the_field_and_nothing_is_written(payload, code):
    body = {"title": "Which?", "options": [{"label": "Red"}, {"label": "Blue"}], **payload}
    response = _api(trusted(MemberFactory())).post(POLLS, body, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == code and response.json()["errors"]
    assert not Poll.objects.exists()


def test_a_visitor_cannot_create_a_poll():
    response = _api().post(POLLS, {"title": "x", "options": []}, format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("rule", "visitor", "voter", "non_voter", "staff"),
    [
        (Poll.Results.ALWAYS, True, True, True, True),
        (Poll.Results.ON_VOTE, False, True, False, True),
        (Poll.Results.ON_CLOSE, False, False, False, True),
        (Poll.Results.STAFF_ONLY, False, False, False, True),
    ],
)
def test_results_are_in_the_answer_only_when_visible(rule, visitor, voter, non_voter, staff):
    poll = poll_make(results=rule)
    member = MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=_ids(poll)[:1])
    url = f"{POLLS}{poll.pk}/"
    seen = {}
    for name, user in [
        ("visitor", None),
        ("voter", member),
        ("non_voter", MemberFactory()),
        ("staff", UserFactory(is_staff=True)),
    ]:
        body = _api(user).get(url).json()
        visible = body["results_visible"]
        votes = [o["votes"] for o in body["options"]]
        assert (votes == [1, 0, 0]) if visible else (votes == [None, None, None])
        seen[name] = visible
    assert seen == {"visitor": visitor, "voter": voter, "non_voter": non_voter, "staff": staff}


def test_secret_polls_never_name_voters_in_the_api():
    poll = poll_make(public_voters=False)
    voter = MemberFactory(display_name="Wulandari Secretvoter")
    poll_vote(poll=poll, voter=voter, option_ids=_ids(poll)[:1])
    for user in (None, make_moderator(), voter):
        text = json.dumps(_api(user).get(f"{POLLS}{poll.pk}/").json())
        list_text = json.dumps(_api(user).get(POLLS).json())
        assert "Secretvoter" not in text and "Secretvoter" not in list_text
        assert str(voter.pk) not in [
            str(v["id"]) for o in json.loads(text)["options"] for v in o["voters"]
        ]


def test_public_polls_name_voters_in_the_api():
    poll = poll_make(public_voters=True)
    voter = MemberFactory(display_name="Wulandari Publicvoter")
    poll_vote(poll=poll, voter=voter, option_ids=_ids(poll)[:1])
    body = _api().get(f"{POLLS}{poll.pk}/").json()
    assert body["options"][0]["voters"][0]["name"] == "Wulandari Publicvoter"


def test_vote_and_change_vote():
    poll = poll_make()
    red, green, _blue = _ids(poll)
    client = _api(MemberFactory())
    first = client.post(f"{POLLS}{poll.pk}/vote/", {"option_ids": [red]}, format="json")
    assert first.status_code == 200 and first.json()["first_vote"] is True
    again = client.post(f"{POLLS}{poll.pk}/vote/", {"option_ids": [green]}, format="json")
    body = again.json()
    assert body["first_vote"] is False and body["poll"]["my_option_ids"] == [green]
    assert [o["votes"] for o in body["poll"]["options"]] == [0, 1, 0]
    assert body["poll"]["voter_count"] == 1


@pytest.mark.parametrize("case", ["closed", "owners_only", "other_poll", "too_many", "banned"])
def test_refused_votes_answer_with_a_message_and_write_nothing(case):
    from datetime import timedelta

    from django.utils import timezone

    from community.models import ModerationAction
    from community.services.members import member_restrict
    from community.services.polls import poll_close

    member = MemberFactory()
    poll = poll_make(
        owners_only=case == "owners_only",
        product_id=ProductFactory().pk if case == "owners_only" else None,
    )
    options = _ids(poll)[:1]
    if case == "closed":
        poll_close(poll=poll, actor=poll.author)
    if case == "other_poll":
        options = _ids(poll_make(title="Other?"))[:1]
    if case == "too_many":
        options = _ids(poll)[:2]
    if case == "banned":
        member_restrict(
            moderator=make_moderator(),
            user=member,
            action=ModerationAction.Action.BAN,
            until=timezone.now() + timedelta(days=1),
            reason="Spam",
        )
    response = _api(member).post(f"{POLLS}{poll.pk}/vote/", {"option_ids": options}, format="json")
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert not PollVote.objects.exists()
    assert set(PollOption.objects.values_list("vote_count", flat=True)) == {0}


def test_a_buyer_votes_in_an_owners_only_poll():
    product = ProductFactory()
    poll = poll_make(owners_only=True, product_id=product.pk)
    buyer = MemberFactory()
    bought(buyer, product)
    assert _api(buyer).get(f"{POLLS}{poll.pk}/").json()["can_vote"] is True
    response = _api(buyer).post(
        f"{POLLS}{poll.pk}/vote/", {"option_ids": _ids(poll)[:1]}, format="json"
    )
    assert response.status_code == 200


def test_another_members_poll_cannot_be_edited_or_closed_and_a_moderator_can():
    poll = poll_make(title="Mine?")
    other = _api(MemberFactory())
    assert other.patch(f"{POLLS}{poll.pk}/", {"title": "Theirs?"}, format="json").status_code == 403
    assert other.post(f"{POLLS}{poll.pk}/close/").status_code == 403
    poll.refresh_from_db()
    assert poll.title == "Mine?" and poll.closed_at is None
    moderator = _api(make_moderator())
    edited = moderator.patch(f"{POLLS}{poll.pk}/", {"title": "Edited?"}, format="json")
    assert edited.status_code == 200 and edited.json()["title"] == "Edited?"
    closed = moderator.post(f"{POLLS}{poll.pk}/close/")
    assert closed.status_code == 200 and closed.json()["is_closed"] is True


def test_the_author_edits_and_closes_their_poll():
    poll = poll_make(title="Mine?")
    client = _api(poll.author)
    assert (
        client.patch(f"{POLLS}{poll.pk}/", {"body": "More *text*."}, format="json").status_code
        == 200
    )
    assert client.post(f"{POLLS}{poll.pk}/close/").json()["is_closed"] is True
    assert client.post(f"{POLLS}{poll.pk}/close/").status_code == 409


def test_hidden_and_pending_polls_are_invisible_to_others():
    hidden = poll_make(title="Hidden?")
    content_hide(content=hidden, moderator=make_moderator())
    author = NewMemberFactory()
    pending = poll_make(author, title="Pending?")
    other = _api(MemberFactory())
    assert other.get(f"{POLLS}{hidden.pk}/").status_code == 404
    assert other.get(f"{POLLS}{pending.pk}/").status_code == 404
    assert other.post(f"{POLLS}{hidden.pk}/close/").status_code == 404
    titles = [p["title"] for p in other.get(POLLS).json()["results"]]
    assert "Hidden?" not in titles and "Pending?" not in titles
    mine = [p["title"] for p in _api(author).get(POLLS).json()["results"]]
    assert "Pending?" in mine


def _many(count: int) -> None:
    author = trusted(MemberFactory())
    voters = [MemberFactory() for _ in range(2)]
    for n in range(count):
        poll = poll_make(author, title=f"Q{n}?", public_voters=True)
        for voter in voters:
            poll_vote(poll=poll, voter=voter, option_ids=_ids(poll)[:1])


QUERIES_LIST_API = 8  # count, polls, options, own votes, standing, voters, 2x profiles


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_api_makes_the_same_queries_whatever_the_number_of_polls(
    django_assert_num_queries, count
):
    _many(count)
    client = _api(MemberFactory())
    client.get(POLLS)
    with django_assert_num_queries(QUERIES_LIST_API):
        response = client.get(POLLS)
    assert response.json()["count"] == count


def test_poll_endpoints_show_examples_in_the_schema(client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    for path, method in [
        ("/api/v1/community/polls/", "get"),
        ("/api/v1/community/polls/", "post"),
        ("/api/v1/community/polls/{poll_id}/", "get"),
        ("/api/v1/community/polls/{poll_id}/vote/", "post"),
        ("/api/v1/community/polls/{poll_id}/close/", "post"),
    ]:
        operation = schema["paths"][path][method]
        content = next(iter(operation["responses"].values()))["content"]["application/json"]
        assert content.get("examples"), (path, method)


# -------------------------------------------------------------------- edit
def test_an_api_edit_keeps_the_previous_text_as_a_revision():
    # given a poll by its author
    poll = poll_make(title="Which sambal?")

    # when they reword it through the API
    response = _api(poll.author).patch(
        f"{POLLS}{poll.pk}/", {"title": "Which sambal first?", "body": "*Spicy*"}, format="json"
    )

    # then the answer has the new text and a revision keeps the old one
    assert response.status_code == 200
    assert response.json()["title"] == "Which sambal first?"
    assert response.json()["body_html"] == "<p><em>Spicy</em></p>"
    revision = Revision.objects.get(object_id=poll.pk, content_type__model="poll")
    assert revision.fields == {"title": "Which sambal?", "body_md": ""}


def test_an_api_edit_to_an_empty_question_names_the_field_and_writes_nothing():
    # given a poll by its author
    poll = poll_make(title="Kept?")

    # when they send an empty question
    response = _api(poll.author).patch(f"{POLLS}{poll.pk}/", {"title": "   "}, format="json")

    # then it is refused at the field, and nothing is written
    assert response.status_code == 400
    assert response.json()["errors"]["title"]
    poll.refresh_from_db()
    assert poll.title == "Kept?" and not Revision.objects.exists()


def test_polls_say_which_thread_they_are_in_and_the_schema_shows_it(client):
    # given a poll outside any thread
    poll = poll_make()

    # when it is read, and the schema too
    body = _api().get(f"{POLLS}{poll.pk}/").json()
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)

    # then `thread` is there (null), in the output and in the input of a new poll
    assert body["thread"] is None
    components = schema["components"]["schemas"]
    assert components["CommunityPoll"]["properties"]["thread"]["nullable"] is True
    assert "thread" in components["CommunityPollCreateRequest"]["properties"]
    examples = schema["paths"][POLLS]["post"]["requestBody"]["content"]["application/json"]
    assert any("thread" in e["value"] for e in examples["examples"].values())
