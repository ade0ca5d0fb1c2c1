from __future__ import annotations

import io

import pytest

from accounts.demo import seed_users
from community.demo.qa import seed_qa
from community.models import Answer, Question
from core.events import quiet
from shop.demo import seed_shop

pytestmark = pytest.mark.django_db


def test_the_demo_has_answered_product_questions_and_runs_twice_without_duplicates():
    out = io.StringIO()
    with quiet():
        seed_users(out)
        seed_shop(out, products=45)  # every category, a few products each
        seed_qa(out)
    product_questions = Question.objects.filter(product__isnull=False)
    assert product_questions.count() >= 8
    assert Question.objects.filter(product__isnull=True).count() == 2
    assert Question.objects.filter(status="published").count() == Question.objects.count()
    assert Answer.objects.filter(is_accepted=True).count() >= 1
    assert Answer.objects.filter(official=True, author__email="admin@kampung.test").exists()
    assert Answer.objects.filter(verified_owner=True).exists()
    assert Question.objects.filter(title__startswith="Apakah").exists()  # Bahasa Indonesia
    assert "skipped" not in out.getvalue()
    counts = (Question.objects.count(), Answer.objects.count())

    with quiet():
        seed_qa(io.StringIO())

    assert (Question.objects.count(), Answer.objects.count()) == counts
