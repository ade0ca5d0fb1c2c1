"""Bounties on the site, in the API and in the admin: the panel on a
question's page and its offer form with clear refusals, the "+N" beside
listed questions, the open bounties' list, and the staff refund."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory
from community.events import AnswerAccepted
from community.services.qa import question_close_duplicate
from community.tests.factories import (
    MemberFactory,
    answer_make,
    make_moderator,
    question_make,
    trusted,
)
from loyalty import bounty_handlers
from loyalty.models import Bounty, BountyStatus, ProgramSettings
from loyalty.selectors.ledger import balance_of
from loyalty.services.bounties import bounty_offer, bounty_refund
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db

OFFER_URL = "/rewards/bounties/offer/"


def _member(points: int = 0, **kwargs):
    member = trusted(MemberFactory(**kwargs))
    if points:
        points_award(user_id=member.pk, rule="adjust", subject="gift", points=points)
    return member


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _count_queries(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return len(queries), result


# ------------------------------------------------------- the question's page
def test_everyone_sees_an_open_bounty_on_the_question_with_who_offered_it(client):
    # given
    sponsor = _member(points=500, display_name="Sari Sponsor")
    question = question_make(title="Which thread count lasts longest?")
    bounty = bounty_offer(user=sponsor, question_id=question.pk, points=250)

    # when a visitor looks
    html = client.get(question.get_absolute_url()).content.decode()

    # then
    assert 'id="bounty"' in html
    assert "Bounty: 250 points" in html
    assert "Offered by Sari Sponsor" in html
    assert "top-voted answer with at least one vote" in html
    assert bounty.deadline.strftime("%Y") in html
    assert "Offer a bounty" not in html


def test_a_member_gets_the_offer_form_on_a_question_that_can_take_a_bounty(client):
    member = _member(points=1234)
    question = question_make()
    client.force_login(member)

    html = client.get(question.get_absolute_url()).content.decode()

    assert "Offer a bounty" in html
    assert f'action="{OFFER_URL}"' in html
    assert 'min="50"' in html and 'max="500"' in html
    assert "You have 1,234 available." in html


def test_no_form_on_closed_or_answered_questions_or_for_visitors(client):
    member, moderator = _member(points=500), make_moderator()
    original = question_make(title="The original question is this?")
    duplicate = question_make(title="The duplicate question is this?")
    question_close_duplicate(question=duplicate, original=original, moderator=moderator)
    answered = question_make(title="The answered question is this?")
    from community.services.qa import answer_accept

    answer_accept(answer=answer_make(answered), user=answered.author)

    assert "Offer a bounty" not in client.get(original.get_absolute_url()).content.decode()
    client.force_login(member)
    for question in (duplicate, answered):
        assert "Offer a bounty" not in client.get(question.get_absolute_url()).content.decode()


def test_a_member_short_of_the_minimum_is_told_instead_of_given_the_form(client):
    member = _member(points=20)
    client.force_login(member)

    html = client.get(question_make().get_absolute_url()).content.decode()

    assert "A bounty is at least 50 points; you have 20 available." in html
    assert f'action="{OFFER_URL}"' not in html


def test_offering_through_the_form_holds_the_points_and_shows_the_bounty(client):
    # given
    member = _member(points=400)
    question = question_make()
    client.force_login(member)

    # when
    response = client.post(OFFER_URL, {"question": question.pk, "points": "150"}, follow=True)

    # then
    assert response.redirect_chain[-1][0] == f"{question.get_absolute_url()}#bounty"
    assert any("Your bounty of 150 points is open until" in m for m in _messages(response))
    html = response.content.decode()
    assert "Bounty: 150 points" in html
    assert "You offered this bounty" in html
    assert Bounty.objects.get().points == 150
    assert balance_of(user_id=member.pk).available == 250


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("300", "Not enough points: you have 200 and this needs 300."),
        ("10", "A bounty is at least 50 points."),
        ("9000", "A bounty is at most 500 points."),
        ("ten", "Give a whole number of points."),
    ],
)
def test_a_refused_offer_shows_why_beside_the_field_with_what_was_typed(client, points, message):
    # given
    member = _member(points=200)
    question = question_make()
    client.force_login(member)

    # when
    response = client.post(OFFER_URL, {"question": question.pk, "points": points}, follow=True)

    # then the question page says why, in the form, once
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{question.get_absolute_url()}#bounty"
    assert message in html
    assert f'value="{points}"' in html
    assert '<details class="bounty-offer" open>' in html
    assert message not in client.get(question.get_absolute_url()).content.decode()
    assert not Bounty.objects.exists()
    assert balance_of(user_id=member.pk).available == 200


def test_a_second_bounty_on_a_question_is_refused_clearly(client):
    question = question_make()
    bounty_offer(user=_member(points=500), question_id=question.pk, points=100)
    other = _member(points=500)
    client.force_login(other)
    # (the page no longer shows the form; an old page's form still posts)

    response = client.post(OFFER_URL, {"question": question.pk, "points": "100"}, follow=True)

    assert response.status_code == 200
    assert "This question already has an open bounty." in response.content.decode()
    assert Bounty.objects.count() == 1
    assert balance_of(user_id=other.pk).available == 500


def test_offering_on_a_closed_question_through_an_old_form_is_refused(client):
    member, moderator = _member(points=500), make_moderator()
    original, duplicate = question_make(), question_make(title="The very same question again?")
    client.force_login(member)
    question_close_duplicate(question=duplicate, original=original, moderator=moderator)

    response = client.post(OFFER_URL, {"question": duplicate.pk, "points": "100"}, follow=True)

    html = response.content.decode()
    assert "closed as a duplicate; offer a bounty on the original question" in html
    assert "Offer a bounty" not in html
    assert not Bounty.objects.exists()


def test_a_visitor_offering_is_sent_to_log_in_and_an_unknown_question_is_a_404(client):
    question = question_make()

    response = client.post(OFFER_URL, {"question": question.pk, "points": "100"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]

    client.force_login(_member(points=500))
    assert client.post(OFFER_URL, {"question": "999999999", "points": "100"}).status_code == 404
    assert client.post(OFFER_URL, {"question": "x", "points": "100"}).status_code == 404
    hidden = question_make(title="A question the moderators hid?")
    from community.services import moderation

    moderation.content_hide(content=hidden, moderator=make_moderator())
    assert client.post(OFFER_URL, {"question": hidden.pk, "points": "100"}).status_code == 404
    assert client.get(OFFER_URL).status_code == 405


def test_a_paid_bounty_shows_on_the_question_with_the_answer_it_went_to(client):
    asker, helper = _member(points=300), _member(display_name="Budi Helper")
    question = question_make(asker)
    bounty_offer(user=asker, question_id=question.pk, points=100)
    answer = answer_make(question, helper)
    bounty_handlers.bounty_on_answer_accepted(
        AnswerAccepted(
            answer_id=answer.pk,
            question_id=question.pk,
            author_id=helper.pk,
            accepted_by_id=asker.pk,
        )
    )

    html = client.get(question.get_absolute_url()).content.decode()

    assert "A bounty of 100 points went to Budi Helper's answer." in html
    assert f'href="#answer-{answer.pk}"' in html


def test_the_question_page_with_a_bounty_runs_the_same_queries_for_2_and_10_answers(client):
    member = _member(points=100)
    client.force_login(member)
    measured = []
    for count in (2, 10):
        question = question_make(title=f"A question with {count} answers and a bounty?")
        bounty_offer(user=_member(points=500), question_id=question.pk, points=100)
        for n in range(count):
            answer_make(question, body=f"Answer {n}")
        client.get(question.get_absolute_url())  # the header's balance, the session
        queries, response = _count_queries(lambda q=question: client.get(q.get_absolute_url()))
        assert "Bounty: 100 points" in response.content.decode()
        measured.append(queries)
    assert measured[0] == measured[1]


# ------------------------------------------------------------ the Q&A list
def test_listed_questions_with_an_open_bounty_show_it_in_no_more_queries(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # given ten questions, one with a bounty
    questions = [question_make(title=f"Listed question number {n}?") for n in range(10)]
    sponsor = _member(points=500)
    with django_capture_on_commit_callbacks(execute=True):
        bounty = bounty_offer(user=sponsor, question_id=questions[3].pk, points=75)
    client.force_login(_member())
    url = reverse("community:questions")
    client.get(url)  # warm the session, settings and the bounties' cache

    # when (at most community's own 7: the marks come from the cache)
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    with_bounty, _response = _count_queries(lambda: client.get(url))
    assert not [q for q in queries.captured_queries if "loyalty_bounty" in q["sql"]]

    # then
    assert html.count(">+75<") == 1
    assert "Bounty: 75 points for the best answer" in html

    # and once refunded, the mark goes at once, in as many queries
    with django_capture_on_commit_callbacks(execute=True):
        bounty_refund(bounty_id=bounty.pk, actor=make_moderator(), reason="Test over.")
    assert ">+75<" not in client.get(url).content.decode()
    without, _response = _count_queries(lambda: client.get(url))
    assert with_bounty == without


# ------------------------------------------- the product page's questions
def test_the_product_pages_questions_show_open_bounties_in_as_many_queries_for_1_and_3(
    django_capture_on_commit_callbacks,
):
    # given a product with one question and one with three, bounties on some
    from shop.tests.factories import ProductFactory, category_create

    one, three = (ProductFactory(category=category_create(name)) for name in ("Kopi", "Teh"))
    lone = question_make(product=one, title="Is the lone question's bag resealable?")
    asked = [question_make(product=three, title=f"Product question number {n}?") for n in range(3)]
    sponsor = _member(points=1000)
    with django_capture_on_commit_callbacks(execute=True):
        bounty_offer(user=sponsor, question_id=lone.pk, points=60)
        bounty_offer(user=sponsor, question_id=asked[0].pk, points=80)
        refunded = bounty_offer(user=sponsor, question_id=asked[2].pk, points=90)
    member = _member()
    measured, pages = {}, {}
    for count, product in ((1, one), (3, three)):
        client = Client()  # no "recently viewed" from the other product
        client.force_login(member)
        client.get(product.get_absolute_url())  # stores the section, reads the bounties once

        # when
        with CaptureQueriesContext(connection) as queries:
            pages[count] = client.get(product.get_absolute_url()).content.decode()
        measured[count] = len(queries)
        assert not [q for q in queries.captured_queries if "loyalty_bounty" in q["sql"]]

    # then each open bounty is marked beside its own question, once
    assert pages[1].count(">+60<") == 1
    assert "Bounty: 60 points for the best answer" in pages[1]
    html = pages[3]
    assert html.count(">+80<") == html.count(">+90<") == 1
    start = {n: html.index(f"Product question number {n}?") for n in range(3)}
    assert start[2] < html.index(">+90<") < start[1] < start[0] < html.index(">+80<")
    assert "Bounty: 80 points for the best answer" in html
    # the question without a bounty has no mark (newest first: 2, 1, 0)
    assert "qa-mark" not in html[start[1] : start[0]]
    assert measured[1] == measured[3]

    # and once refunded, its mark goes at once though the section is stored
    with django_capture_on_commit_callbacks(execute=True):
        bounty_refund(bounty_id=refunded.pk, actor=make_moderator(), reason="Test over.")
    html = client.get(three.get_absolute_url()).content.decode()
    assert ">+90<" not in html
    assert html.count(">+80<") == 1


# ------------------------------------------------- open bounties, Rewards page
def test_the_open_bounties_page_and_the_rewards_page_list_them(client):
    sponsor = _member(points=1000)
    first = question_make(title="Which wax is used for batik cap?")
    second = question_make(title="How to wash a silk scarf?")
    bounty_offer(user=sponsor, question_id=first.pk, points=100)
    bounty_offer(user=sponsor, question_id=second.pk, points=200)

    listing = client.get(reverse("loyalty:bounties")).content.decode()
    client.force_login(_member())
    rewards = client.get(reverse("loyalty:index")).content.decode()

    for html in (listing, rewards):
        assert "Which wax is used for batik cap?" in html
        assert f'href="{second.get_absolute_url()}"' in html
        assert "+200" in html
    assert "All questions with a bounty" in rewards


def test_the_open_bounties_page_says_when_there_are_none(client):
    html = client.get(reverse("loyalty:bounties")).content.decode()
    assert "No open bounties right now." in html


# ----------------------------------------------------------------------- API
@pytest.fixture
def api():
    return APIClient()


def test_the_api_lists_open_bounties_in_the_same_queries_for_2_and_10(api):
    sponsor = _member(points=10_000)
    measured = {}
    for count in (2, 10):
        Bounty.objects.all().delete()
        for n in range(count):
            bounty_offer(
                user=sponsor,
                question_id=question_make(title=f"API question {count} {n}?").pk,
                points=50,
            )
        queries, response = _count_queries(lambda: api.get("/api/v1/loyalty/bounties/"))
        assert response.status_code == 200
        assert response.json()["count"] == count
        measured[count] = queries
    assert measured[2] == measured[10] <= 3
    row = response.json()["results"][0]
    assert row["question"]["url"].startswith("http://testserver/")
    assert row["offered_by"]["id"] == sponsor.pk
    assert row["status"] == "open"


def test_the_api_filters_by_question(api):
    sponsor = _member(points=1000)
    first, second = question_make(), question_make(title="Another question entirely?")
    bounty_offer(user=sponsor, question_id=first.pk, points=100)
    bounty_offer(user=sponsor, question_id=second.pk, points=100)

    response = api.get("/api/v1/loyalty/bounties/", {"question": second.pk})

    assert [r["question"]["id"] for r in response.json()["results"]] == [second.pk]
    assert api.get("/api/v1/loyalty/bounties/", {"question": "x"}).status_code == 400


def test_a_member_offers_through_the_api(api):
    member = _member(points=300)
    question = question_make()
    api.force_authenticate(member)

    response = api.post(
        "/api/v1/loyalty/bounties/", {"question_id": question.pk, "points": 120}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["points"] == 120
    assert response.json()["question"]["title"] == question.title
    assert balance_of(user_id=member.pk).available == 180


def test_api_refusals_have_clear_codes_and_hold_nothing(api):
    member = _member(points=100)
    question = question_make()
    api.force_authenticate(member)
    url = "/api/v1/loyalty/bounties/"

    too_many = api.post(url, {"question_id": question.pk, "points": 200}, format="json")
    too_few = api.post(url, {"question_id": question.pk, "points": 5}, format="json")
    unknown = api.post(url, {"question_id": 10**12, "points": 50}, format="json")
    wrong_type = api.post(url, {"question_id": question.pk, "points": "50"}, format="json")
    bounty_offer(user=_member(points=100), question_id=question.pk, points=50)
    taken = api.post(url, {"question_id": question.pk, "points": 50}, format="json")

    assert (too_many.status_code, too_many.json()["code"]) == (422, "insufficient_points")
    assert (too_few.status_code, too_few.json()["code"]) == (422, "bounty_too_small")
    assert unknown.status_code == 404
    assert wrong_type.status_code == 400
    assert (taken.status_code, taken.json()["code"]) == (409, "bounty_exists")
    assert Bounty.objects.filter(offerer=member).count() == 0
    assert balance_of(user_id=member.pk).available == 100
    assert api.options(url).status_code == 200
    api.force_authenticate(None)
    assert api.post(url, {"question_id": question.pk, "points": 50}, format="json").status_code in (
        401,
        403,
    )


# --------------------------------------------------------------------- admin
@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff = StaffFactory(is_superuser=False)
    staff.user_permissions.add(Permission.objects.get(codename="view_bounty"))
    client.force_login(staff)
    client.staff = staff
    return client


def _refund(client, bounty, reason):
    return client.post(
        reverse("admin:loyalty_bounty_changelist"),
        {"action": "refund", "_selected_action": [bounty.pk], "reason": reason},
        follow=True,
    )


def test_staff_see_bounties_read_only_with_a_link_to_the_question(staff_client):
    question = question_make(title="Where is the admin's bounty?")
    bounty = bounty_offer(user=_member(points=500), question_id=question.pk, points=100)

    listing = staff_client.get(reverse("admin:loyalty_bounty_changelist"))
    detail = staff_client.get(reverse("admin:loyalty_bounty_change", args=[bounty.pk]))

    searched = staff_client.get(reverse("admin:loyalty_bounty_changelist"), {"q": "admin's"})
    by_id = staff_client.get(reverse("admin:loyalty_bounty_changelist"), {"q": question.pk})

    assert listing.status_code == 200
    assert "Where is the admin&#x27;s bounty?" in listing.content.decode()
    assert searched.status_code == by_id.status_code == 200
    assert list(searched.context["cl"].result_list) == [bounty]
    assert list(by_id.context["cl"].result_list) == [bounty]
    assert f'href="{question.get_absolute_url()}"' in detail.content.decode()
    assert staff_client.get(reverse("admin:loyalty_bounty_add")).status_code == 403
    form = listing.context.get("action_form")
    assert form is None or "refund" not in dict(form.fields["action"].choices)


def test_staff_with_the_permission_refund_an_open_bounty_with_a_reason(staff_client):
    staff_client.staff.user_permissions.add(Permission.objects.get(codename="refund_bounty"))
    sponsor = _member(points=500)
    bounty = bounty_offer(user=sponsor, question_id=question_make().pk, points=100)

    refused = _refund(staff_client, bounty, "")
    bounty.refresh_from_db()
    assert "Give a reason for the refund." in refused.content.decode()
    assert bounty.status == BountyStatus.OPEN

    done = _refund(staff_client, bounty, "Asked twice by mistake.")
    bounty.refresh_from_db()
    assert "1 bounty refunded." in done.content.decode()
    assert (bounty.status, bounty.note) == (BountyStatus.REFUNDED, "Asked twice by mistake.")
    assert balance_of(user_id=sponsor.pk).available == 500

    again = _refund(staff_client, bounty, "Once more.")
    assert "closed already" in again.content.decode()
    assert balance_of(user_id=sponsor.pk).available == 500


def test_the_program_settings_refuse_a_largest_bounty_below_the_smallest():
    from django.core.exceptions import ValidationError

    row = ProgramSettings.current()
    row.bounty_minimum_points, row.bounty_maximum_points = 300, 100
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "bounty_maximum_points" in error.value.message_dict
