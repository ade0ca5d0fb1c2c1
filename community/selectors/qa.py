"""Reads of questions and answers, each a fixed number of queries whatever
the page size (the lists' author lines come from authors_for, once)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from community.models import Answer, AnswerVote, ContentStatus, Question
from community.permissions import is_moderator
from core import hooks

FILTERS = ("", "unanswered", "answered")
SORTS = ("newest", "active")
OWN_VISIBLE = (ContentStatus.PENDING, ContentStatus.HIDDEN)


def _visible(queryset: QuerySet, *, user) -> QuerySet:
    """Published, plus the member's own content still waiting or hidden
    (shown to them with a notice); moderators see everything but deleted."""
    if user is not None and user.is_authenticated:
        if is_moderator(user):
            return queryset.exclude(status=ContentStatus.REMOVED)
        return queryset.filter(
            Q(status=ContentStatus.PUBLISHED) | Q(author=user, status__in=OWN_VISIBLE)
        )
    return queryset.filter(status=ContentStatus.PUBLISHED)


def _best_answer_id() -> Subquery:
    """The answer shown under a question in lists: the accepted one, else
    the best scored, else the oldest (published only)."""
    return Subquery(
        Answer.objects.filter(question=OuterRef("pk"), status=ContentStatus.PUBLISHED)
        .order_by("-is_accepted", "-score", "created_at", "pk")
        .values("pk")[:1]
    )


def with_best_answers(questions: list[Question]) -> list[Question]:
    """Set `best_answer` on each question annotated with `best_answer_id`
    (one query for all of them)."""
    ids = [q.best_answer_id for q in questions if getattr(q, "best_answer_id", None)]
    answers = (
        {a.pk: a for a in Answer.objects.filter(pk__in=ids).select_related("author")} if ids else {}
    )
    for question in questions:
        question.best_answer = answers.get(getattr(question, "best_answer_id", None))
    return questions


@dataclass(frozen=True)
class QuestionFilters:
    show: str = ""  # "", "unanswered", "answered"
    sort: str = "newest"
    product_id: int | None = None


def question_list(*, user, filters: QuestionFilters) -> QuerySet[Question]:
    questions = _visible(Question.objects.all(), user=user)
    if filters.show == "unanswered":
        questions = questions.filter(answer_count=0)
    elif filters.show == "answered":
        questions = questions.filter(answer_count__gt=0)
    if filters.product_id is not None:
        questions = questions.filter(product_id=filters.product_id)
    order = ("-last_activity_at", "-pk") if filters.sort == "active" else ("-created_at", "-pk")
    return questions.select_related("author", "product").order_by(*order)


def question_for_page(*, pk: int, user) -> Question | None:
    """The question if `user` may see it (public, their own, or a moderator)."""
    question = (
        Question.objects.select_related("author", "product", "closed_as_duplicate_of")
        .filter(pk=pk)
        .exclude(status=ContentStatus.REMOVED)
        .first()
    )
    if question is None or not question.viewable_by(user):
        return None
    return question


def question_answers(*, question: Question, user) -> list[Answer]:
    """The answers `user` may see: accepted first, then by score, then the
    oldest first."""
    answers = _visible(Answer.objects.filter(question=question), user=user)
    answers = answers.select_related("author").order_by(
        "-is_accepted", "-score", "created_at", "pk"
    )
    result = list(answers)
    for answer in result:
        answer.question = question
    return result


def member_votes(*, user, answer_ids: Iterable[int]) -> dict[int, int]:
    """{answer id: +1 or -1} for the member's votes among these (one query)."""
    answer_ids = list(answer_ids)
    if user is None or not user.is_authenticated or not answer_ids:
        return {}
    return dict(
        AnswerVote.objects.filter(voter=user, answer_id__in=answer_ids).values_list(
            "answer_id", "value"
        )
    )


def product_questions(*, product_id: int, limit: int) -> tuple[list[Question], int]:
    """The latest published questions about a product, with their best
    answers, and how many it has in all (three queries)."""
    base = Question.objects.filter(product_id=product_id, status=ContentStatus.PUBLISHED)
    questions = list(
        base.select_related("author")
        .annotate(best_answer_id=_best_answer_id())
        .order_by("-created_at", "-pk")[:limit]
    )
    return with_best_answers(questions), base.count()


def member_unpublished_questions(*, user, product_id: int) -> list[Question]:
    """The member's own questions about the product that others cannot see
    yet (waiting for approval) or any more (hidden). One query."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        Question.objects.filter(author=user, product_id=product_id, status__in=OWN_VISIBLE)
        .order_by("-created_at")
        .only("pk", "title", "status", "created_at")[:5]
    )


# ------------------------------------------------- what other apps are told
def question_facts_of(question: Question, *, accepted_answer_author_id: int | None = None) -> dict:
    """A question as core.hooks.QUESTION_FACTS describes it (no query)."""
    return {
        "id": question.pk,
        "author_id": question.author_id,
        "title": question.title,
        "url": question.get_absolute_url(),
        "status": question.status,
        "is_public": question.is_public,
        "is_closed": question.is_closed,
        "accepted_answer_id": question.accepted_answer_id,
        "accepted_answer_author_id": (
            accepted_answer_author_id if question.accepted_answer_id else None
        ),
    }


def question_facts(question_ids: Iterable[int]) -> dict[int, dict]:
    """core.hooks.QUESTION_FACTS: these questions, whatever their status
    (one query; unknown ids are left out)."""
    ids = {int(pk) for pk in question_ids}
    if not ids:
        return {}
    questions = (
        Question.objects.filter(pk__in=ids)
        .select_related("accepted_answer")
        .only(
            "pk",
            "title",
            "status",
            "author_id",
            "accepted_answer_id",
            "accepted_answer__author_id",
            "closed_as_duplicate_of_id",
        )
    )
    return {
        question.pk: question_facts_of(
            question,
            accepted_answer_author_id=(
                question.accepted_answer.author_id if question.accepted_answer else None
            ),
        )
        for question in questions
    }


def question_top_answer(question_id: int, *, exclude_author_ids: Iterable[int] = ()) -> dict | None:
    """core.hooks.QUESTION_TOP_ANSWER: the question's best-scored published
    answer (ties: the oldest), not by these members (one query)."""
    answers = Answer.objects.filter(question_id=question_id, status=ContentStatus.PUBLISHED)
    excluded = [int(pk) for pk in exclude_author_ids]
    if excluded:
        answers = answers.exclude(author_id__in=excluded)
    row = answers.order_by("-score", "created_at", "pk").values("pk", "author_id", "score").first()
    if row is None:
        return None
    return {"answer_id": row["pk"], "author_id": row["author_id"], "score": row["score"]}


def question_panels(*, request, question: Question, answers: Iterable[Answer] = ()) -> list[dict]:
    """The other apps' panels on a question's page (core.hooks.QUESTION_PANELS,
    each asked once); `answers` are the ones the page shows."""
    providers = hooks.get_hooks(hooks.QUESTION_PANELS)
    if not providers:
        return []
    accepted_author = next(
        (a.author_id for a in answers if a.pk == question.accepted_answer_id), None
    )
    facts = question_facts_of(question, accepted_answer_author_id=accepted_author)
    panels: list[dict] = []
    for fn in providers:
        panels.extend(fn(request=request, question=facts) or [])
    return panels


def question_marks(question_ids: Iterable[int]) -> dict[int, list[dict]]:
    """{question id: marks} for a list of questions (core.hooks.QUESTION_MARKS,
    each asked once for the whole list); empty without a hook."""
    ids = list(question_ids)
    marks: dict[int, list[dict]] = {}
    if not ids:
        return marks
    for fn in hooks.get_hooks(hooks.QUESTION_MARKS):
        for question_id, found in (fn(ids) or {}).items():
            marks.setdefault(int(question_id), []).extend(found)
    return marks
