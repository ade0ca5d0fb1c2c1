from __future__ import annotations

import json

import pytest
from django.utils import translation

from accounts.services import user_delete, user_export_data
from community.models import MemberProfile, Review
from community.notifications import ANSWER
from community.services.members import member_profile
from community.services.polls import poll_vote
from community.tests.factories import (
    MemberFactory,
    answer_make,
    poll_make,
    question_make,
    review_write,
    trusted,
)
from core.models import Notification
from core.notifications.services import notification_text
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_export_holds_reviews_questions_answers_votes_and_the_handle():
    member = trusted(MemberFactory())
    handle = member_profile(user=member).handle
    review = review_write(member, ProductFactory(), title="Pedas mantap", body="Enak sekali")
    question = question_make(author=member, title="Is it halal certified?")
    answer_make(question_make(), author=member, body="Yes, printed on the jar.")
    poll = poll_make()
    poll_vote(poll=poll, voter=member, option_ids=[poll.options.first().pk])
    data = user_export_data(user=member)["community"]
    json.dumps(data)  # the export is JSON
    assert data["profile"]["handle"] == handle
    assert [r["title"] for r in data["reviews"]] == [review.title]
    assert [q["title"] for q in data["questions"]] == [question.title]
    assert [a["text"] for a in data["answers"]] == ["Yes, printed on the jar."]
    assert data["poll_votes"] == [{"poll_id": poll.pk, "options": [poll.options.first().pk]}]


def test_deleting_the_account_keeps_reviews_and_frees_the_handle():
    member = trusted(MemberFactory(display_name="Rina Wijaya"))
    member_profile(user=member)
    review = review_write(member, ProductFactory(), title="Bagus", body="Rapi")
    user_delete(user=member)
    assert Review.objects.filter(pk=review.pk).exists()
    assert MemberProfile.objects.get(user=member).handle == f"deleted_{member.pk}"


def test_deleting_the_account_takes_the_name_out_of_others_notifications(
    django_capture_on_commit_callbacks,
):
    # given a member told that Rina answered their question
    asker = trusted(MemberFactory())
    rina = trusted(MemberFactory(display_name="Rina Wijaya"))
    question = question_make(author=asker, title="Is it halal certified?")
    with django_capture_on_commit_callbacks(execute=True):
        answer_make(question, author=rina, body="Yes, printed on the jar.")
    notification = Notification.objects.get(recipient=asker, kind=ANSWER)
    with translation.override("en"):
        assert notification_text(notification).startswith("Rina Wijaya answered")
    # when Rina deletes her account
    user_delete(user=rina)
    # then the asker's notification no longer names her
    notification.refresh_from_db()
    assert "Rina" not in str(notification.data)
    with translation.override("en"):
        assert notification_text(notification) == "Deleted user answered “Is it halal certified?”"


def test_a_member_without_a_display_name_is_shown_by_number_never_by_email(client):
    # given a member whose address holds their full name, with no display name
    member = trusted(MemberFactory(display_name="", email="siti.rahayu.1990@example.com"))
    question = question_make(author=member, title="Is the sambal very hot?")
    answer_make(question, author=trusted(MemberFactory(display_name="")))

    # when anyone reads the question, the list and the member's profile
    profile = member_profile(user=member)
    pages = [
        client.get(question.get_absolute_url()),
        client.get("/community/questions/"),
        client.get(profile.get_absolute_url()),
    ]

    # then they see "Member N" and a handle made of the number, not the address
    assert profile.handle == f"member{member.pk}"
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert f"Member {member.pk}" in html
        assert "siti" not in html.lower()
    with translation.override("id"):
        url = question.get_absolute_url()
    assert f"Anggota {member.pk}" in client.get(url).content.decode()
