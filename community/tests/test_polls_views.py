from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.models import Poll, PollBallot, PollVote
from community.services.moderation import content_hide
from community.services.polls import poll_close, poll_vote
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    make_moderator,
    poll_make,
    trusted,
)

pytestmark = pytest.mark.django_db

RESULTS = 'class="poll-results"'
VOTE_FORM = 'class="poll-form"'
QUERIES_LIST_PAGE = (
    # session, user, count, polls, options, own votes, standing, voters, 2x
    # (profiles, marks beside names from loyalty's badges), and the header's
    # unread notifications
    13
)


def _url(poll) -> str:
    return reverse("community:poll", args=[poll.pk])


def _first(poll):
    return poll.options.order_by("position").first()


def _page(client, poll, user=None) -> str:
    if user is not None:
        client.force_login(user)
    else:
        client.logout()
    response = client.get(_url(poll))
    assert response.status_code == 200
    return response.content.decode()


# ------------------------------------------------------------- visibility
@pytest.mark.parametrize(
    ("rule", "visitor", "voter", "non_voter", "staff"),
    [
        (Poll.Results.ALWAYS, True, True, True, True),
        (Poll.Results.ON_VOTE, False, True, False, True),
        (Poll.Results.ON_CLOSE, False, False, False, True),
        (Poll.Results.STAFF_ONLY, False, False, False, True),
    ],
)
def test_results_are_shown_per_the_polls_rule(client, rule, visitor, voter, non_voter, staff):
    poll = poll_make(results=rule)
    member, other = MemberFactory(), MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[_first(poll).pk])
    seen = {
        "visitor": RESULTS in _page(client, poll),
        "voter": RESULTS in _page(client, poll, member),
        "non_voter": RESULTS in _page(client, poll, other),
        "staff": RESULTS in _page(client, poll, UserFactory(is_staff=True)),
    }
    assert seen == {"visitor": visitor, "voter": voter, "non_voter": non_voter, "staff": staff}


def test_hidden_results_say_why(client):
    on_close = poll_make(results=Poll.Results.ON_CLOSE)
    staff_only = poll_make(title="Staff?", results=Poll.Results.STAFF_ONLY)
    on_vote = poll_make(title="Vote?", results=Poll.Results.ON_VOTE)
    member = MemberFactory()
    poll_vote(poll=on_close, voter=member, option_ids=[_first(on_close).pk])
    assert "Results will be shown when the poll closes" in _page(client, on_close, member)
    assert "Results are visible to staff" in _page(client, staff_only, member)
    assert "Vote to see the results" in _page(client, on_vote, member)


def test_on_close_results_appear_once_the_poll_closed(client):
    poll = poll_make(results=Poll.Results.ON_CLOSE, close_at=timezone.now() + timedelta(hours=1))
    member = MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[_first(poll).pk])
    assert RESULTS not in _page(client, poll, member)
    Poll.objects.filter(pk=poll.pk).update(close_at=timezone.now() - timedelta(seconds=1))
    html = _page(client, poll, member)
    assert RESULTS in html and VOTE_FORM not in html


def test_secret_voters_are_never_named_even_to_staff(client):
    poll = poll_make(public_voters=False)
    voter = MemberFactory(display_name="Wulandari Secretvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    for viewer in (None, MemberFactory(), make_moderator()):
        assert "Secretvoter" not in _page(client, poll, viewer)


def test_public_polls_name_the_voters_by_option(client):
    poll = poll_make(public_voters=True)
    voter = MemberFactory(display_name="Wulandari Publicvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    assert "Wulandari Publicvoter" in _page(client, poll)


def test_public_voters_stay_hidden_while_results_are(client):
    poll = poll_make(public_voters=True, results=Poll.Results.ON_CLOSE)
    voter = MemberFactory(display_name="Wulandari Earlyvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    assert "Earlyvoter" not in _page(client, poll, MemberFactory())


# ------------------------------------------------------------------ voting
def test_a_member_votes_without_javascript_and_is_sent_back(client):
    poll = poll_make(results=Poll.Results.ON_VOTE)
    member = MemberFactory()
    client.force_login(member)
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk], "next": _url(poll)},
        follow=True,
    )
    html = response.content.decode()
    assert "Thank you for voting." in html and RESULTS in html
    assert PollBallot.objects.filter(poll=poll, voter=member).exists()


def test_an_htmx_vote_returns_the_poll_with_results(client):
    poll = poll_make(results=Poll.Results.ON_VOTE)
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk]},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and f'id="poll-{poll.pk}"' in html and RESULTS in html


def test_a_refused_vote_shows_the_reason_and_writes_nothing(client):
    poll = poll_make()
    poll_close(poll=poll, actor=poll.author)
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk]},
        headers={"HX-Request": "true"},
    )
    assert "This poll is closed." in response.content.decode()
    assert not PollVote.objects.exists()


def test_a_changed_vote_is_replaced(client):
    poll = poll_make()
    red, green, _blue = poll.options.order_by("position")
    member = MemberFactory()
    client.force_login(member)
    url = reverse("community:poll_vote", args=[poll.pk])
    client.post(url, {"option": [red.pk]})
    response = client.post(url, {"option": [green.pk]}, follow=True)
    assert "Your vote was changed." in response.content.decode()
    assert list(PollVote.objects.values_list("option_id", flat=True)) == [green.pk]


def test_a_visitor_is_asked_to_log_in_to_vote(client):
    poll = poll_make()
    html = _page(client, poll)
    assert "Log in to vote." in html and VOTE_FORM not in html
    response = client.post(reverse("community:poll_vote", args=[poll.pk]), {"option": [1]})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not PollVote.objects.exists()


def test_the_author_closes_the_poll_from_its_page(client):
    poll = poll_make()
    client.force_login(poll.author)
    assert "Close poll" in _page(client, poll, poll.author)
    response = client.post(reverse("community:poll_close", args=[poll.pk]), follow=True)
    assert "The poll is closed." in response.content.decode()
    poll.refresh_from_db()
    assert poll.closed_at is not None


def test_another_member_cannot_close_a_poll(client):
    poll = poll_make()
    member = MemberFactory()
    assert "Close poll" not in _page(client, poll, member)
    client.post(reverse("community:poll_close", args=[poll.pk]))
    poll.refresh_from_db()
    assert poll.closed_at is None


# ---------------------------------------------------------- who sees a poll
def test_a_pending_poll_is_shown_to_its_author_with_a_notice_and_to_nobody_else(client):
    author = NewMemberFactory()
    poll = poll_make(author, title="Pending question?")
    assert "waiting for a moderator" in _page(client, poll, author)
    assert "Pending question?" in client.get(reverse("community:polls")).content.decode()
    client.force_login(MemberFactory())
    assert client.get(_url(poll)).status_code == 404
    assert "Pending question?" not in client.get(reverse("community:polls")).content.decode()
    client.logout()
    assert client.get(_url(poll)).status_code == 404


def test_a_hidden_poll_is_gone_for_others(client):
    poll = poll_make(title="Hidden question?")
    content_hide(content=poll, moderator=make_moderator())
    client.force_login(MemberFactory())
    assert client.get(_url(poll)).status_code == 404
    assert "Hidden question?" not in client.get(reverse("community:polls")).content.decode()


# -------------------------------------------------------------------- list
def test_open_polls_come_before_closed_ones(client):
    closed = poll_make(title="Closed question?")
    poll_close(poll=closed, actor=closed.author)
    poll_make(title="Open question?")
    html = client.get(reverse("community:polls")).content.decode()
    assert html.index("Open question?") < html.index("Closed question?")


def _polls_with_votes(count: int) -> None:
    voters = [MemberFactory() for _ in range(2)]
    author = trusted(MemberFactory())
    for n in range(count):
        poll = poll_make(author, title=f"Question {n}?", public_voters=bool(n % 2))
        for voter in voters:
            poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_page_makes_the_same_queries_whatever_the_number_of_polls(
    client, django_assert_num_queries, count
):
    _polls_with_votes(count)
    member = MemberFactory()
    client.force_login(member)
    client.get(reverse("community:polls"))  # warm caches (settings, content types)
    with django_assert_num_queries(QUERIES_LIST_PAGE):
        response = client.get(reverse("community:polls"))
    assert response.content.decode().count('class="card poll"') == count


# -------------------------------------------------------------------- form
def test_the_form_creates_a_poll(client):
    author = trusted(MemberFactory())
    client.force_login(author)
    assert client.get(reverse("community:poll_create")).status_code == 200
    response = client.post(
        reverse("community:poll_create"),
        {
            "title": "Kapan pasar malam?",
            "options": "Jumat\nSabtu\n\nMinggu\n",
            "poll_type": "multiple",
            "min_choices": "1",
            "max_choices": "2",
            "results": "on_vote",
            "public_voters": "on",
        },
    )
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(poll)
    assert [o.label for o in poll.options.order_by("position")] == ["Jumat", "Sabtu", "Minggu"]
    assert (poll.poll_type, poll.max_choices, poll.public_voters) == ("multiple", 2, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"options": "Only one"}, "from 2 to 20 options"),
        ({"options": "\n".join(f"O{n}" for n in range(21))}, "from 2 to 20 options"),
        ({"options": "Red\nred\nBlue"}, "Each option must be different"),
        (
            {"poll_type": "multiple", "min_choices": "3", "max_choices": "2"},
            "cannot be more than the most choices",
        ),
        ({"close_at": "2020-01-01T10:00"}, "must be in the future"),
        ({"owners_only": "on"}, "Choose the product"),
        ({"product": "no-such-product"}, "No product at this address"),
    ],
)
def test_bad_input_keeps_the_form_with_a_clear_message(client, data, message):
    client.force_login(trusted(MemberFactory()))
    form = {"title": "Kept question?", "options": "Red\nGreen", "poll_type": "single"}
    form["results"] = "always"
    response = client.post(reverse("community:poll_create"), {**form, **data})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'value="Kept question?"' in html
    assert not Poll.objects.exists()


def test_a_visitor_is_sent_to_log_in_for_the_form(client):
    response = client.get(reverse("community:poll_create"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_names_the_voters_of_public_polls_only(client):
    public = poll_make(title="Public?", public_voters=True)
    secret = poll_make(title="Secret?")
    poll_vote(
        poll=public,
        voter=MemberFactory(display_name="Ratna Listvoter"),
        option_ids=[_first(public).pk],
    )
    poll_vote(
        poll=secret,
        voter=MemberFactory(display_name="Joko Hiddenvoter"),
        option_ids=[_first(secret).pk],
    )
    html = client.get(reverse("community:polls")).content.decode()
    assert "Ratna Listvoter" in html and "Hiddenvoter" not in html


def test_a_member_flags_a_poll_for_the_moderators(client):
    from community.models import Flag

    poll = poll_make()
    client.force_login(MemberFactory())
    assert 'action="/community/flag/poll/' in _page(client, poll, MemberFactory())
    client.post(reverse("community:flag", args=["poll", poll.pk]), {"reason": "spam"})
    assert Flag.objects.filter(kind="poll", object_id=poll.pk).count() == 1


def test_a_vote_from_the_list_comes_back_as_a_list_card(client):
    poll = poll_make()
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk], "next": reverse("community:polls") + "?page=1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'<a href="{_url(poll)}">' in html
    assert f'name="next" value="{reverse("community:polls")}?page=1"' in html
