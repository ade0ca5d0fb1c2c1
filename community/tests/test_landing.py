from __future__ import annotations

import pytest
from django.urls import reverse

from community.tests.factories import MemberFactory, answer_make, poll_make, question_make, trusted
from community.tests.forums_factories import thread_make
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _content(n: int) -> None:
    author = trusted(MemberFactory())
    for i in range(n):
        thread_make(author=author, title=f"Thread number {i} about sambal")
        question_make(author=author, title=f"Question number {i}: is it spicy?")
    poll_make(author=author, title="Which sambal next?")


def test_the_landing_page_shows_latest_threads_open_questions_and_polls(client):
    _content(2)
    body = client.get(reverse("community:index")).content.decode()
    assert "Thread number 1 about sambal" in body
    assert "Question number 0: is it spicy?" in body
    assert "Which sambal next?" in body


def test_an_answered_question_leaves_the_open_list_once_accepted(client):
    author = trusted(MemberFactory())
    question = question_make(author=author, title="Does it come in a jar?")
    answer = answer_make(question)
    from community.services.qa import answer_accept

    answer_accept(answer=answer, user=author)
    body = client.get(reverse("community:index")).content.decode()
    assert "Does it come in a jar?" not in body


def test_new_content_renews_the_visitors_stored_page(client, django_capture_on_commit_callbacks):
    _content(1)
    assert "Brand new thread title" not in client.get(reverse("community:index")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        thread_make(author=trusted(MemberFactory()), title="Brand new thread title")
    assert "Brand new thread title" in client.get(reverse("community:index")).content.decode()


@pytest.mark.parametrize("count", [2, 8])
def test_members_get_the_landing_page_in_the_same_queries(client, django_assert_num_queries, count):
    _content(count)
    client.force_login(MemberFactory())
    client.get(reverse("community:index"))  # fills the shared fragment
    with django_assert_num_queries(3):  # session, user, the bell's unread count
        response = client.get(reverse("community:index"))
    assert response.status_code == 200


def test_the_home_page_shows_the_latest_in_the_community(client):
    _content(1)
    body = client.get(reverse("home")).content.decode()
    assert "Latest in the community" in body and "Thread number 0 about sambal" in body


def test_a_stored_community_page_shows_each_visitor_their_own_cart(client):
    # given a visitor with a cart stores the landing page
    from shop.tests.factories import VariantFactory

    _content(1)
    variant = VariantFactory(product=ProductFactory(), stock=5)
    response = client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 2})
    first = client.get(reverse("community:index")).content.decode()
    # when another visitor, with no cart, gets the stored page
    from django.test import Client

    second = Client().get(reverse("community:index")).content.decode()
    # then each sees their own badge
    assert response.status_code == 302
    assert '<span id="cart-count" class="badge">2</span>' in first
    assert 'id="cart-count"' not in second
