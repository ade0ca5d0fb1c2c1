from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Poll
from community.services.polls import poll_create, poll_vote
from community.tests.factories import MemberFactory, trusted
from community.tests.forums_factories import thread_make
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


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
            "options": "Saturday\nSunday",
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
