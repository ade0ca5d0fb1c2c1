"""The community's events reach the members they concern, through the
notification centre (the outbox delivers them; each once)."""

from __future__ import annotations

import pytest

from community.services import forums as forum_services
from community.services import qa as qa_services
from community.tests.factories import MemberFactory, answer_make, question_make, trusted
from community.tests.forums_factories import reply_make, thread_make
from core.models import Notification

pytestmark = pytest.mark.django_db


def _kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_reply_and_a_like_reach_the_threads_author_once_each(
    django_capture_on_commit_callbacks,
):
    author, replier = trusted(MemberFactory()), trusted(MemberFactory())
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_make(author=author, title="Sambal for breakfast?")
    with django_capture_on_commit_callbacks(execute=True):
        post = reply_make(thread, author=replier, body="Always.")
    with django_capture_on_commit_callbacks(execute=True):
        forum_services.post_like(post=thread.posts.get(number=1), user=replier)
    assert _kinds(author) == ["community.like", "community.reply"]
    assert _kinds(replier) == []  # never told of their own post
    reply = Notification.objects.get(recipient=author, kind="community.reply")
    assert reply.url.endswith(f"#post-{post.number}")
    assert reply.data["title"] == "Sambal for breakfast?"


def test_a_mention_is_told_as_a_mention_not_as_a_watched_post(
    django_capture_on_commit_callbacks,
):
    from community.services.members import member_profile

    author, mentioned = trusted(MemberFactory()), trusted(MemberFactory())
    handle = member_profile(user=mentioned).handle
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_make(author=author, title="Who makes the best rendang?")
    with django_capture_on_commit_callbacks(execute=True):
        forum_services.watch_set(user=mentioned, on=True, thread=thread)
        reply_make(thread, author=trusted(MemberFactory()), body=f"@{handle} does, ask her")
    assert "community.mention" in _kinds(mentioned)
    assert "community.watched" not in _kinds(mentioned)


def test_an_answer_reaches_the_asker_and_accepting_it_reaches_the_answerer(
    django_capture_on_commit_callbacks,
):
    asker, answerer = trusted(MemberFactory()), trusted(MemberFactory())
    with django_capture_on_commit_callbacks(execute=True):
        question = question_make(author=asker, title="Is the kain washable?")
    with django_capture_on_commit_callbacks(execute=True):
        answer = answer_make(question, author=answerer, body="Yes, cold water.")
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_accept(answer=answer, user=asker)
    assert _kinds(asker) == ["community.answer"]
    assert _kinds(answerer) == ["community.answer_accepted"]
