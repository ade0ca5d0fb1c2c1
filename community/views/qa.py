"""Questions and answers on the site: the list, a question with its answers,
asking, answering, voting (htmx, and plain forms without JavaScript),
accepting, editing, and the product page's "Questions" section."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community.models import Answer, CommunitySettings, ContentStatus, Question
from community.permissions import is_moderator
from community.reading import ANSWER, reads_record
from community.selectors import qa as selectors
from community.selectors.members import authors_for
from community.services import qa as services
from community.views.moderation import safe_next
from core import pagecache
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

PAGE_SIZE = 20
SECTION_QUESTIONS = 3
SECTION_CACHE_SECONDS = 60 * 60
MARKS_HOLE = "<!--kp-question-marks:%d-->"


def _parse_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _product_for(request: HttpRequest, slug: str | None):
    if not slug:
        return None
    return shop_selectors.product_visible_queryset(user=request.user).filter(slug=slug).first()


class _EditRules:
    """Who may edit what on one page, with the edit window read once."""

    def __init__(self, user) -> None:
        self.user = user
        self.moderator = is_moderator(user)
        self.window = CommunitySettings.current().edit_window if user.is_authenticated else None

    def can_edit(self, content) -> bool:
        if not self.user.is_authenticated:
            return False
        if self.moderator:
            return True
        if content.author_id != self.user.pk or content.status == ContentStatus.REMOVED:
            return False
        return self.window is None or timezone.now() - content.created_at <= self.window


# -------------------------------------------------------------------- list
@require_safe
def question_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    show = show if show in selectors.FILTERS else ""
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in selectors.SORTS else "newest"
    product = _product_for(request, request.GET.get("product"))
    filters = selectors.QuestionFilters(
        show=show, sort=sort, product_id=product.pk if product else None
    )
    if request.GET.get("product") and product is None:
        questions = Question.objects.none()
    else:
        questions = selectors.question_list(user=request.user, filters=filters)
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    authors = authors_for(
        users=[q.author for q in rows], product_ids={q.product_id for q in rows if q.product_id}
    )
    marks = selectors.question_marks([q.pk for q in rows])
    for question in rows:
        question.author_line = authors.get(question.author_id)
        question.marks = marks.get(question.pk, [])
    return render(
        request,
        "community/qa/list.html",
        {
            "page": page,
            "questions": rows,
            "show": show,
            "sort": sort,
            "product": product,
            "show_choices": [
                ("", _("All")),
                ("unanswered", _("Unanswered")),
                ("answered", _("Answered")),
            ],
            "sort_choices": [("newest", _("Newest")), ("active", _("Most active"))],
        },
    )


# ------------------------------------------------------------------ detail
def _question_or_404(request: HttpRequest, pk: int) -> Question:
    question = selectors.question_for_page(pk=pk, user=request.user)
    if question is None:
        raise Http404(_("No such question."))
    return question


def _detail_context(request: HttpRequest, question: Question, **extra) -> dict:
    answers = selectors.question_answers(question=question, user=request.user)
    product_ids = [question.product_id] if question.product_id else []
    authors = authors_for(
        users=[question.author, *(a.author for a in answers)], product_ids=product_ids
    )
    votes = selectors.member_votes(user=request.user, answer_ids=[a.pk for a in answers])
    rules = _EditRules(request.user)
    user = request.user
    for answer in answers:
        answer.author_line = authors.get(answer.author_id)
        answer.my_vote = votes.get(answer.pk, 0)
        answer.is_mine = user.is_authenticated and answer.author_id == user.pk
        answer.can_edit = rules.can_edit(answer)
    return {
        "question": question,
        "question_author": authors.get(question.author_id),
        "answers": answers,
        "can_edit_question": rules.can_edit(question),
        "can_accept": services.answer_can_accept(user=user, question=question),
        "is_moderator": rules.moderator,
        "panels": selectors.question_panels(request=request, question=question, answers=answers),
        "answer_text": "",
        **extra,
    }


@require_safe
def question_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    question = _question_or_404(request, pk)
    if slug != question.slug:
        return redirect(question.get_absolute_url(), permanent=True)
    context = _detail_context(request, question)
    reads_record(
        user=request.user,
        product_id=question.product_id,
        items=[(ANSWER, a.pk) for a in context["answers"] if a.status == ContentStatus.PUBLISHED],
    )
    return render(request, "community/qa/detail.html", context)


def _render_refusal(request, template: str, context: dict, error: ApplicationError):
    messages.error(request, error.message)
    status = error.status_code if error.status_code in (403, 404, 429) else 400
    return render(request, template, context, status=status)


@require_POST
def answer_post(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("community:question_redirect", args=[pk]))
    question = _question_or_404(request, pk)
    text = request.POST.get("body", "")
    try:
        answer = services.answer_post(question=question, author=request.user, body=text)
    except ApplicationError as error:
        return _render_refusal(
            request,
            "community/qa/detail.html",
            _detail_context(request, question, answer_text=text),
            error,
        )
    if answer.status == ContentStatus.PENDING:
        messages.success(
            request, _("Thank you. Your answer is shown once a moderator has approved it.")
        )
    else:
        messages.success(request, _("Your answer is posted."))
    return redirect(f"{question.get_absolute_url()}#answer-{answer.pk}")


@require_safe
def question_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(_question_or_404(request, pk).get_absolute_url())


# --------------------------------------------------------------------- ask
@login_required
def question_ask(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("product") if request.method == "POST" else request.GET.get("product")
    product = _product_for(request, slug)
    if slug and product is None:
        raise Http404(_("No such product."))
    context = {
        "product": product,
        "title": request.POST.get("title", ""),
        "body": request.POST.get("body", ""),
    }
    if request.method != "POST":
        return render(request, "community/qa/ask.html", context)
    try:
        question = services.question_ask(
            author=request.user, title=context["title"], body=context["body"], product=product
        )
    except ApplicationError as error:
        return _render_refusal(request, "community/qa/ask.html", context, error)
    if question.status == ContentStatus.PENDING:
        messages.success(
            request, _("Thank you. Your question is shown once a moderator has approved it.")
        )
    else:
        messages.success(request, _("Your question is posted."))
    return redirect(question.get_absolute_url())


# -------------------------------------------------------------------- edit
@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_or_404(request, pk)
    if not _EditRules(request.user).can_edit(question):
        messages.error(request, _("You can no longer edit this question."))
        return redirect(question.get_absolute_url())
    context = {
        "question": question,
        "title": request.POST.get("title", question.title),
        "body": request.POST.get("body", question.body_md),
        "editing": "question",
    }
    if request.method != "POST":
        return render(request, "community/qa/edit.html", context)
    try:
        question = services.question_edit(
            question=question, editor=request.user, title=context["title"], body=context["body"]
        )
    except ApplicationError as error:
        return _render_refusal(request, "community/qa/edit.html", context, error)
    messages.success(request, _("Your changes are saved."))
    return redirect(question.get_absolute_url())


def _answer_or_404(request: HttpRequest, pk: int) -> Answer:
    answer = Answer.objects.select_related("question", "author").filter(pk=pk).first()
    if (
        answer is None
        or answer.status == ContentStatus.REMOVED
        or not answer.viewable_by(request.user)
        or not answer.question.viewable_by(request.user)
    ):
        raise Http404(_("No such answer."))
    return answer


@login_required
def answer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _answer_or_404(request, pk)
    question = answer.question
    if not _EditRules(request.user).can_edit(answer):
        messages.error(request, _("You can only edit your own answers, within the edit time."))
        return redirect(question.get_absolute_url())
    context = {
        "question": question,
        "answer": answer,
        "body": request.POST.get("body", answer.body_md),
        "editing": "answer",
    }
    if request.method != "POST":
        return render(request, "community/qa/edit.html", context)
    try:
        services.answer_edit(answer=answer, editor=request.user, body=context["body"])
    except ApplicationError as error:
        return _render_refusal(request, "community/qa/edit.html", context, error)
    messages.success(request, _("Your changes are saved."))
    return redirect(f"{question.get_absolute_url()}#answer-{answer.pk}")


@require_POST
@login_required
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_or_404(request, pk)
    try:
        services.question_delete(question=question, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(question.get_absolute_url())
    messages.success(request, _("The question is deleted."))
    return redirect("community:questions")


@require_POST
@login_required
def answer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _answer_or_404(request, pk)
    try:
        services.answer_delete(answer=answer, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The answer is deleted."))
    return redirect(answer.question.get_absolute_url())


# ------------------------------------------------------------------- votes
def _vote_widget(request, answer: Answer, *, my_vote: int, error: str = "") -> HttpResponse:
    answer.my_vote = my_vote
    answer.is_mine = answer.author_id == request.user.pk
    return render(request, "community/qa/_vote.html", {"answer": answer, "vote_error": error})


@require_POST
def answer_vote(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        answer = Answer.objects.filter(pk=pk).select_related("question").first()
        target = answer.question.get_absolute_url() if answer else reverse("community:questions")
        return redirect_to_login(target)
    answer = _answer_or_404(request, pk)
    raw = request.POST.get("value", "")
    value = int(raw) if raw in {"1", "-1", "0"} else None
    error = ""
    try:
        if value is None:
            raise ApplicationError(_("Vote up or down."), code="vote_value")
        answer = services.answer_vote(answer=answer, voter=request.user, value=value)
    except ApplicationError as exc:
        error = exc.message
    my_vote = selectors.member_votes(user=request.user, answer_ids=[answer.pk]).get(answer.pk, 0)
    if request.htmx:
        answer.refresh_from_db(fields=["score"])
        return _vote_widget(request, answer, my_vote=my_vote, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your vote is counted.") if my_vote else _("Vote withdrawn."))
    return redirect(safe_next(request, f"{answer.question.get_absolute_url()}#answer-{answer.pk}"))


# ---------------------------------------------------------------- accepting
@require_POST
@login_required
def answer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _answer_or_404(request, pk)
    accept = request.POST.get("accept", "1") != "0"
    try:
        if accept:
            services.answer_accept(answer=answer, user=request.user)
        else:
            services.answer_unaccept(answer=answer, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("You accepted this answer.") if accept else _("The answer is no longer accepted."),
        )
    return redirect(f"{answer.question.get_absolute_url()}#answer-{answer.pk}")


# -------------------------------------------------------------- moderators
@require_POST
@login_required
def question_close(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_or_404(request, pk)
    try:
        if request.POST.get("reopen"):
            services.question_reopen(
                question=question, moderator=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The question is open again."))
        else:
            original_id = _original_id(request.POST.get("original", ""))
            original = Question.objects.filter(pk=original_id).first() if original_id else None
            if original is None:
                raise ApplicationError(
                    _("Give the number or address of the original question."), code="original"
                )
            services.question_close_duplicate(
                question=question,
                original=original,
                moderator=request.user,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The question is closed as a duplicate."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(question.get_absolute_url())


def _original_id(value: str) -> int | None:
    """A question's number, or the address of its page."""
    value = value.strip()
    if "/questions/" in value:
        value = value.split("/questions/", 1)[1].split("/", 1)[0]
    return _parse_id(value)


# ------------------------------------------------- the product page section
def product_questions_section(*, request: HttpRequest, product) -> list[dict]:
    """The product page's "Questions" tab (core.hooks.PRODUCT_PAGE_SECTIONS).
    What every visitor sees alike (the latest questions with their best
    answers, the count) is rendered once per product, generation of its
    questions and language; the member's own part (the ask form, their
    questions waiting for approval) is filled in with one query, and the
    questions' marks (a bounty's "+50", which changes without a new
    generation) with one call of each QUESTION_MARKS hook for all of them."""
    generation = pagecache.generation(services.qa_namespace(product.pk))
    key = f"community:qa:section:v3:{product.pk}:{generation}:{get_language()}"
    stored = cache.get(key)
    if stored is None:
        questions, count = selectors.product_questions(
            product_id=product.pk, limit=SECTION_QUESTIONS
        )
        users = [q.author for q in questions] + [
            q.best_answer.author for q in questions if q.best_answer is not None
        ]
        authors = authors_for(users=users, product_ids=[product.pk])
        for question in questions:
            question.author_line = authors.get(question.author_id)
            if question.best_answer is not None:
                question.best_answer.author_line = authors.get(question.best_answer.author_id)
        html = render_to_string(
            "community/qa/_product_section_shared.html",
            {"product": product, "questions": questions, "count": count},
        )
        shown = [q.best_answer.pk for q in questions if q.best_answer is not None]
        stored = (html, count, shown, [q.pk for q in questions])
        cache.set(key, stored, SECTION_CACHE_SECONDS)
    html, count, shown, question_ids = stored
    marks = selectors.question_marks(question_ids)
    for question_id in question_ids:
        found = marks.get(question_id)
        html = html.replace(
            MARKS_HOLE % question_id,
            render_to_string("community/qa/_marks.html", {"marks": found}) if found else "",
        )
    reads_record(user=request.user, product_id=product.pk, items=[(ANSWER, pk) for pk in shown])
    section = render_to_string(
        "community/qa/product_section.html",
        {
            "product": product,
            "shared": mark_safe(html),  # rendered by our own template above
            "count": count,
            "unpublished": selectors.member_unpublished_questions(
                user=request.user, product_id=product.pk
            ),
        },
        request=request,
    )
    return [
        {
            "code": "questions",
            "title": _("Questions about this product"),
            "count": count,
            "html": mark_safe(section),
        }
    ]


urlpatterns = [
    path("questions/", question_list, name="questions"),
    path("questions/ask/", question_ask, name="question_ask"),
    path("questions/<int:pk>/", question_redirect, name="question_redirect"),
    path("questions/<int:pk>/answer/", answer_post, name="answer_post"),
    path("questions/<int:pk>/edit/", question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", question_delete, name="question_delete"),
    path("questions/<int:pk>/close/", question_close, name="question_close"),
    # After the actions above: a slug never equals their names (Question.slug).
    path("questions/<int:pk>/<slug:slug>/", question_detail, name="question"),
    path("answers/<int:pk>/vote/", answer_vote, name="answer_vote"),
    path("answers/<int:pk>/accept/", answer_accept, name="answer_accept"),
    path("answers/<int:pk>/edit/", answer_edit, name="answer_edit"),
    path("answers/<int:pk>/delete/", answer_delete, name="answer_delete"),
]
