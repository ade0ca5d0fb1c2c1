from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import Poll, PollOption, Post
from community.services.forums import thread_close, thread_lock
from community.services.moderation import content_hide
from community.services.polls import poll_create, poll_edit, poll_vote
from community.tests.factories import MemberFactory, make_moderator, trusted
from community.tests.forums_factories import thread_make
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

POLLS = "/api/v1/community/polls/"


def _poll(thread, author, title="Sambal or kecap?"):
    return poll_create(author=author, title=title, options=["Sambal", "Kecap"], thread=thread)


def test_a_poll_in_a_thread_shows_on_the_threads_first_page_and_can_be_voted(client):
    author, voter = trusted(MemberFactory()), trusted(MemberFactory())
    thread = thread_make(author=author, title="Breakfast question")
    poll = _poll(thread, author)
    client.force_login(voter)
    body = client.get(thread.get_absolute_url()).content.decode()
    assert (
        "Sambal or kecap?" in body
        and f'action="{reverse("community:poll_vote", args=[poll.pk])}"' in body
    )
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [poll.options.first().pk], "next": thread.get_absolute_url()},
    )
    assert response.status_code == 302
    assert Poll.objects.get(pk=poll.pk).voter_count == 1


def test_only_the_threads_author_adds_a_poll_to_it():
    author, other = trusted(MemberFactory()), trusted(MemberFactory())
    thread = thread_make(author=author)
    with pytest.raises(ApplicationError) as error:
        _poll(thread, other)
    assert error.value.code == "thread_forbidden"
    assert not Poll.objects.exists()


def test_a_vote_renews_the_visitors_stored_thread_page(
    django_capture_on_commit_callbacks, settings
):
    settings.PAGE_CACHE_SECONDS = 300
    author, voter = trusted(MemberFactory()), trusted(MemberFactory())
    thread = thread_make(author=author, title="Vote here")
    poll = _poll(thread, author)
    visitor = Client()
    first = visitor.get(thread.get_absolute_url())
    assert first.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        poll_vote(poll=poll, voter=voter, option_ids=[poll.options.first().pk])
    again = visitor.get(thread.get_absolute_url())
    assert again.headers.get("X-Page-Cache") == "miss"
    assert "community:thread" in again.headers.get("X-Page-Cache-Stale", "")


def test_the_poll_form_carries_the_thread_and_returns_to_it(client):
    author = trusted(MemberFactory())
    thread = thread_make(author=author)
    client.force_login(author)
    page = client.get(reverse("community:poll_create"), {"thread": thread.pk}).content.decode()
    assert f'name="thread" value="{thread.pk}"' in page
    response = client.post(
        reverse("community:poll_create") + f"?thread={thread.pk}",
        {
            "title": "Which day for the meetup?",
            "option_1": "Saturday",
            "option_2": "Sunday",
            "poll_type": "single",
            "min_choices": 1,
            "max_choices": 1,
            "results": "always",
            "thread": thread.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    assert Poll.objects.get(title="Which day for the meetup?").thread_id == thread.pk


def test_a_visitor_gets_a_stored_thread_page_without_a_query(settings, django_assert_num_queries):
    from community.tests.forums_factories import reply_make

    settings.PAGE_CACHE_SECONDS = 300
    thread = thread_make(author=trusted(MemberFactory()), title="Stored for visitors")
    reply_make(thread, author=trusted(MemberFactory()), body="A reply with ♥")
    visitor = Client()
    first = visitor.get(thread.get_absolute_url())
    assert first.headers["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        again = visitor.get(thread.get_absolute_url())
    assert again.headers["X-Page-Cache"] == "hit"
    assert again.content.decode().count("forum-like-count") == 2


# ---------------------------------------------------------- through the API
def _api_create(user, thread_id):
    client = APIClient()
    client.force_authenticate(user)
    body = {"title": "Which day?", "options": [{"label": "Sat"}, {"label": "Sun"}]}
    return client.post(POLLS, {**body, "thread": thread_id}, format="json")


def test_the_api_adds_a_poll_to_the_members_own_thread():
    # given a member's thread
    author = trusted(MemberFactory())
    thread = thread_make(author=author)

    # when they create a poll in it through the API
    response = _api_create(author, thread.pk)

    # then the poll is in the thread, and the answer says so
    assert response.status_code == 201, response.json()
    assert response.json()["thread"] == thread.pk
    assert Poll.objects.get().thread_id == thread.pk


def test_a_moderator_adds_a_poll_to_any_thread_through_the_api():
    thread = thread_make(author=trusted(MemberFactory()))
    thread_lock(thread=thread, moderator=make_moderator())
    response = _api_create(make_moderator(), thread.pk)
    assert response.status_code == 201 and response.json()["thread"] == thread.pk


def _opening_post_hidden(thread) -> None:
    content_hide(content=Post.objects.get(thread=thread, number=1), moderator=make_moderator())


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("another_members", "thread_forbidden"),
        ("locked", "thread_closed"),
        ("closed", "thread_closed"),
        ("hidden_own", "thread_closed"),
        ("hidden_other", "no_thread"),
        ("unknown", "no_thread"),
    ],
)
def test_the_api_refuses_a_poll_in_a_thread_the_web_refuses_and_writes_nothing(case, code):
    # given a thread the member may not add a poll to
    author, other = trusted(MemberFactory()), trusted(MemberFactory())
    thread = thread_make(author=author)
    member = other if case in ("another_members", "hidden_other") else author
    if case == "locked":
        thread_lock(thread=thread, moderator=make_moderator())
    if case == "closed":
        thread_close(thread=thread, moderator=make_moderator())
    if case.startswith("hidden"):
        _opening_post_hidden(thread)
    thread_id = thread.pk + 1000 if case == "unknown" else thread.pk

    # when they create a poll in it through the API
    response = _api_create(member, thread_id)

    # then it is refused at the thread field, and nothing is written
    assert response.status_code == 422
    assert response.json()["code"] == code and response.json()["errors"]["thread"]
    assert not Poll.objects.exists() and not PollOption.objects.exists()


# -------------------------------------------------------------------- edits
def test_an_edit_renews_the_visitors_stored_thread_page(
    django_capture_on_commit_callbacks, settings
):
    # given a visitor's stored copy of a thread with a poll
    settings.PAGE_CACHE_SECONDS = 300
    author = trusted(MemberFactory())
    thread = thread_make(author=author, title="Edit here")
    poll = _poll(thread, author, title="Sambal or kecap?")
    visitor = Client()
    assert visitor.get(thread.get_absolute_url()).status_code == 200

    # when the author rewords the poll
    with django_capture_on_commit_callbacks(execute=True):
        poll_edit(poll=poll, editor=author, title="Sambal, kecap or both?")

    # then the visitor gets the thread page anew, with the new question
    again = visitor.get(thread.get_absolute_url())
    assert again.headers.get("X-Page-Cache") == "miss"
    assert "Sambal, kecap or both?" in again.content.decode()
