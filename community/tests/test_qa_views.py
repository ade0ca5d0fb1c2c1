from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Answer, AnswerVote, ContentStatus, Question
from community.services import moderation
from community.services.qa import answer_accept, answer_vote, question_close_duplicate
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    answer_make,
    buy,
    make_moderator,
    question_make,
    trusted,
)
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _member_client(client, user=None):
    user = user or trusted(MemberFactory())
    client.force_login(user)
    return user


# ---------------------------------------------------------------- the list
def _questions(count: int, product=None) -> None:
    for i in range(count):
        question = question_make(product=product, title=f"Question number {i} about it?")
        answer_make(question)


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_page_runs_the_same_queries_for_2_and_10_questions(
    client, django_assert_num_queries, count
):
    product = ProductFactory()
    _questions(count, product=product)
    member = _member_client(client)
    client.get(reverse("community:questions"))  # warm the session and settings row
    # The same 7 (the header's unread count among them) whatever the page holds.
    with django_assert_num_queries(7):
        response = client.get(reverse("community:questions"), {"sort": "active"})
    assert response.status_code == 200
    assert len(response.context["questions"]) == count
    assert member


def test_the_list_filters_unanswered_answered_and_by_product(client):
    product, other = ProductFactory(), ProductFactory()
    answered = question_make(product=product, title="Answered question here?")
    answer_make(answered)
    unanswered = question_make(product=product, title="Unanswered question here?")
    elsewhere = question_make(product=other, title="About another product?")
    url = reverse("community:questions")

    def titles(**params):
        return {q.title for q in client.get(url, params).context["questions"]}

    assert titles(show="unanswered") == {unanswered.title, elsewhere.title}
    assert titles(show="answered") == {answered.title}
    assert titles(product=product.slug) == {answered.title, unanswered.title}
    assert titles(product="no-such-product") == set()


def test_others_never_see_pending_questions_their_author_does_with_a_notice(client):
    new = NewMemberFactory()
    from community.services.qa import question_ask

    question = question_ask(author=new, title="Is this still pending approval?")
    assert question.status == ContentStatus.PENDING
    # a visitor
    assert question.title not in client.get(reverse("community:questions")).content.decode()
    assert client.get(question.get_absolute_url()).status_code == 404
    # the author
    client.force_login(new)
    page = client.get(question.get_absolute_url())
    assert page.status_code == 200
    assert "waiting for a moderator" in page.content.decode()


# ---------------------------------------------------------------- question
def test_answers_are_sorted_accepted_first_then_score_then_oldest(client):
    question = question_make()
    oldest, popular, accepted = (
        answer_make(question, body="The oldest answer."),
        answer_make(question, body="The popular answer."),
        answer_make(question, body="The accepted answer."),
    )
    answer_vote(answer=popular, voter=trusted(MemberFactory()), value=1)
    answer_accept(answer=accepted, user=question.author)

    response = client.get(question.get_absolute_url())

    assert [a.pk for a in response.context["answers"]] == [accepted.pk, popular.pk, oldest.pk]
    html = response.content.decode()
    assert html.index("The accepted answer.") < html.index("The popular answer.")
    assert "Accepted answer" in html


def test_badges_for_verified_owners_and_official_answers(client):
    product = ProductFactory()
    question = question_make(product=product)
    buyer = trusted(MemberFactory())
    buy(buyer, product)
    answer_make(question, buyer, body="I own one.")
    answer_make(question, make_moderator(), body="From the shop.")

    html = client.get(question.get_absolute_url()).content.decode()

    assert "Verified owner" in html
    assert "Official" in html


def test_the_question_page_queries_do_not_grow_with_answers(client, django_assert_num_queries):
    counts = []
    member = trusted(MemberFactory())
    client.force_login(member)
    for n in (2, 10):
        question = question_make(title=f"A question with {n} answers?")
        for i in range(n):
            answer = answer_make(question, body=f"Answer {i}")
            answer_vote(answer=answer, voter=member, value=1)
        client.get(question.get_absolute_url())
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(question.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(queries))
        assert b'aria-pressed="true"' in response.content  # the member's own votes
    assert counts[0] == counts[1]


def test_a_member_answers_and_the_typed_text_is_kept_on_a_refusal(client):
    question = question_make()
    member = _member_client(client)
    url = reverse("community:answer_post", args=[question.pk])

    refused = client.post(url, {"body": "x" * 5001})
    assert refused.status_code == 400
    assert any("at most 5000" in m for m in _messages(refused))
    assert ("x" * 5001) in refused.content.decode()
    assert not Answer.objects.exists()

    response = client.post(url, {"body": "It is *hand-drawn*."})
    answer = Answer.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#answer-{answer.pk}")
    assert answer.author == member


def test_answering_a_duplicate_shows_the_link_and_refuses(client):
    original, duplicate = question_make(), question_make(title="Is it really hand-drawn?")
    question_close_duplicate(question=duplicate, original=original, moderator=make_moderator())
    _member_client(client)

    page = client.get(duplicate.get_absolute_url()).content.decode()
    assert "Closed as a duplicate of" in page
    assert original.get_absolute_url() in page

    response = client.post(
        reverse("community:answer_post", args=[duplicate.pk]), {"body": "My answer."}
    )
    assert response.status_code == 400
    assert any("duplicate" in m for m in _messages(response))
    assert not Answer.objects.exists()


def test_voting_with_htmx_swaps_the_buttons_and_without_js_redirects(client):
    answer = answer_make(question_make())
    voter = _member_client(client)
    url = reverse("community:answer_vote", args=[answer.pk])

    swapped = client.post(url, {"value": "1"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert b'id="vote-' in swapped.content and b'aria-pressed="true"' in swapped.content
    assert AnswerVote.objects.get(voter=voter).value == 1

    plain = client.post(url, {"value": "0"})
    assert plain.status_code == 302
    assert not AnswerVote.objects.exists()


def test_voting_on_your_own_answer_is_refused_with_a_message(client):
    answer = answer_make(question_make())
    client.force_login(answer.author)
    response = client.post(
        reverse("community:answer_vote", args=[answer.pk]), {"value": "1"}, follow=True
    )
    assert any("own answer" in m for m in _messages(response))
    assert not AnswerVote.objects.exists()


def test_accepting_on_someone_elses_question_is_refused_with_a_message(client):
    question = question_make()
    answer = answer_make(question)
    _member_client(client)
    response = client.post(reverse("community:answer_accept", args=[answer.pk]), follow=True)
    assert any("asked" in m for m in _messages(response))
    assert not Answer.objects.filter(is_accepted=True).exists()


def test_editing_another_members_answer_is_refused(client):
    answer = answer_make(question_make())
    _member_client(client)
    url = reverse("community:answer_edit", args=[answer.pk])
    response = client.post(url, {"body": "Changed by someone else"}, follow=True)
    assert any("your own" in m for m in _messages(response))
    assert Answer.objects.get(pk=answer.pk).body_md == "Yes, it is hand-drawn."


def test_a_hidden_answer_is_invisible_to_others_and_shown_to_its_author(client):
    question = question_make()
    answer = answer_make(question, body="Soon to be hidden.")
    moderation.content_hide(content=answer, moderator=make_moderator())
    assert b"Soon to be hidden." not in client.get(question.get_absolute_url()).content
    client.force_login(answer.author)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Soon to be hidden." in page
    assert "hidden by the moderators" in page


# ---------------------------------------------------------------- asking
def test_asking_about_a_product_and_keeping_the_text_on_a_refusal(client):
    product = ProductFactory()
    member = _member_client(client)
    url = reverse("community:question_ask")

    form = client.get(url, {"product": product.slug})
    assert product.name in form.content.decode()

    refused = client.post(url, {"product": product.slug, "title": "Short", "body": "My details"})
    assert refused.status_code == 400
    assert any("at least 10" in m for m in _messages(refused))
    assert "My details" in refused.content.decode()
    assert not Question.objects.exists()

    response = client.post(url, {"product": product.slug, "title": "Does it come in blue?"})
    question = Question.objects.get()
    assert response.status_code == 302
    assert (question.product, question.author) == (product, member)


def test_asking_needs_a_sign_in(client):
    response = client.get(reverse("community:question_ask"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# ------------------------------------------------------ the product section
def _product_page(client, product):
    return client.get(product.get_absolute_url())


def _queries(fn) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return len(queries), result


def test_the_product_page_queries_stay_the_same_for_members_with_2_and_10_questions():
    from django.test import Client

    # two products of different categories (so neither lists the other)
    from shop.tests.factories import category_create

    member = trusted(MemberFactory())
    products = {
        2: ProductFactory(category=category_create("Kopi")),
        10: ProductFactory(category=category_create("Teh")),
    }
    for count, product in products.items():
        _questions(count, product=product)
    measured = {}
    warm = Client()
    warm.force_login(member)
    warm.get(reverse("community:questions"))  # the header's cached points balance
    for count, product in products.items():
        client = Client()  # no "recently viewed" from the other product
        client.force_login(member)
        # the first render stores the shared part; the next ones reuse it
        first, response = _queries(lambda c=client, p=product: _product_page(c, p))
        again, _ = _queries(lambda c=client, p=product: _product_page(c, p))
        assert response.status_code == 200
        section = next(s for s in response.context["product_sections"] if s["code"] == "questions")
        assert section["count"] == count
        assert "Ask a question" in section["html"]
        measured[count] = (first, again)
    assert measured[2] == measured[10]
    first, again = measured[2]
    assert again < first  # the shared part came from the cache


def test_the_product_section_shows_the_accepted_answer_and_refreshes_after_changes(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    question = question_make(product=product, title="Is the colour like the photo?")
    first = answer_make(question, body="Quite close to the photo.")
    html = _product_page(client, product).content.decode()
    assert "Is the colour like the photo?" in html
    assert "Quite close to the photo." in html
    assert "Log in to ask a question" in html

    with django_capture_on_commit_callbacks(execute=True):
        second = answer_make(question, body="Exactly like the photo.")
        answer_accept(answer=second, user=question.author)

    html = _product_page(client, product).content.decode()
    assert "Exactly like the photo." in html
    assert "Accepted answer" in html
    assert first.body_md not in html


def test_a_members_pending_question_shows_on_the_product_page_for_them_only(client):
    from community.services.qa import question_ask

    product = ProductFactory()
    new = NewMemberFactory()
    question_ask(author=new, title="Pending question about it?", product=product)
    assert b"Pending question about it?" not in _product_page(client, product).content
    client.force_login(new)
    html = _product_page(client, product).content.decode()
    assert "Pending question about it?" in html
    assert "waiting for a moderator" in html


def test_the_author_edits_a_question_on_the_site_and_a_refusal_keeps_the_text(client):
    question = question_make()
    client.force_login(question.author)
    url = reverse("community:question_edit", args=[question.pk])
    assert b"Is the batik hand-drawn?" in client.get(url).content

    refused = client.post(url, {"title": "Short", "body": "Kept details"})
    assert refused.status_code == 400
    assert "Kept details" in refused.content.decode()
    assert Question.objects.get(pk=question.pk).title == "Is the batik hand-drawn?"

    saved = client.post(url, {"title": "Is the batik really hand-drawn?", "body": ""})
    question.refresh_from_db()
    assert saved.status_code == 302 and saved["Location"] == question.get_absolute_url()
    assert question.title == "Is the batik really hand-drawn?"
    # the old address leads to the new one
    old = client.get(reverse("community:question", args=[question.pk, "is-the-batik-hand-drawn"]))
    assert old.status_code == 301 and old["Location"] == question.get_absolute_url()


def test_the_author_deletes_their_answer_and_others_cannot(client):
    answer = answer_make(question_make())
    _member_client(client)
    url = reverse("community:answer_delete", args=[answer.pk])
    response = client.post(url, follow=True)
    assert any("your own" in m for m in _messages(response))
    assert Answer.objects.get(pk=answer.pk).status == ContentStatus.PUBLISHED

    client.force_login(answer.author)
    client.post(url)
    assert Answer.objects.get(pk=answer.pk).status == ContentStatus.REMOVED
    assert Question.objects.get(pk=answer.question_id).answer_count == 0


def test_an_anonymous_vote_leads_to_the_login(client):
    answer = answer_make(question_make())
    response = client.post(reverse("community:answer_vote", args=[answer.pk]), {"value": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AnswerVote.objects.exists()


def test_the_list_is_paginated(client):
    for i in range(23):
        question_make(title=f"Question number {i} for the pages?")
    first = client.get(reverse("community:questions"))
    second = client.get(reverse("community:questions"), {"page": 2})
    assert len(first.context["questions"]) == 20
    assert len(second.context["questions"]) == 3
    assert "Page 1 of 2" in first.content.decode()
