from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from community.models import ModerationAction, Question
from community.tests.factories import answer_make, make_moderator, question_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client, monkeypatch):
    """A moderator; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    moderator = make_moderator()
    client.force_login(moderator)
    client.moderator = moderator
    return client


def test_question_and_answer_admin_pages_open(moderator_client):
    question = question_make()
    answer = answer_make(question)
    for url in [
        reverse("admin:community_question_changelist"),
        reverse("admin:community_question_changelist") + "?q=batik&status__exact=published",
        reverse("admin:community_question_change", args=[question.pk]),
        reverse("admin:community_answer_changelist"),
        reverse("admin:community_answer_change", args=[answer.pk]),
    ]:
        assert moderator_client.get(url).status_code == 200, url


def test_a_moderator_closes_questions_as_duplicates_from_the_admin(moderator_client):
    original, duplicate = question_make(), question_make(title="Is it really hand-drawn?")
    response = moderator_client.post(
        reverse("admin:community_question_changelist"),
        {
            "action": "close_as_duplicate",
            "_selected_action": [duplicate.pk],
            "original": original.pk,
            "reason": "Asked before",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Question.objects.get(pk=duplicate.pk).closed_as_duplicate_of_id == original.pk
    action = ModerationAction.objects.get(action="duplicate")
    assert (action.reason, action.moderator) == ("Asked before", moderator_client.moderator)


def test_closing_a_question_as_a_duplicate_of_itself_is_refused(moderator_client):
    question = question_make()
    moderator_client.post(
        reverse("admin:community_question_changelist"),
        {
            "action": "close_as_duplicate",
            "_selected_action": [question.pk],
            "original": question.pk,
        },
    )
    assert Question.objects.get(pk=question.pk).closed_as_duplicate_of_id is None
    assert not ModerationAction.objects.exists()


def test_staff_edits_in_the_admin_keep_the_history(moderator_client):
    question = question_make()
    response = moderator_client.post(
        reverse("admin:community_question_change", args=[question.pk]),
        {"title": "A clearer title from staff", "body_md": "Details.", "product": ""},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.title == "A clearer title from staff"
    assert question.body_html == "<p>Details.</p>"
    assert question.revisions.count() == 1
