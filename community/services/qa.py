"""Questions and answers: asking, answering, voting, accepting, closing as a
duplicate, and asking a product's recent buyers to help.

Every write locks the row whose state it reads (the question for answers and
accepts, the answer for votes), so concurrent requests act one after the
other; the database constraints (one vote per member and answer, one
accepted answer per question) back that up."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community import notifying
from community.events import AnswerAccepted, AnswerUnaccepted, AnswerVoted
from community.models import (
    Answer,
    AnswerVote,
    BuyerQuestionRequest,
    ContentStatus,
    ModerationAction,
    Question,
)
from community.models.qa import BODY_MAX, TITLE_MAX, TITLE_MIN
from community.permissions import is_moderator
from community.services.members import member_can_vote_check, member_posting_check
from community.services.moderation import (
    body_render,
    content_created,
    content_edit,
    content_remove,
    text_clean,
)
from core import pagecache
from core.events import publish
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors
from shop.cache import product_pages_changed

BUYERS_TO_ASK_DEFAULT = 3
BUYER_ASK_INTERVAL = timedelta(days=7)


# ------------------------------------------------------------------ caches
def qa_namespace(product_id: int) -> str:
    """The page-cache namespace of a product's questions (its section's
    shared HTML is stored under this generation)."""
    return f"community:qa:product:{product_id}"


def qa_pages_changed(*, product_id: int | None) -> None:
    """After the transaction commits: the product's question section and its
    stored product pages are rendered afresh."""
    if product_id is None:
        return
    pagecache.bump(qa_namespace(product_id), reason="questions")

    def _product_pages() -> None:
        from shop.models import Product

        slug = Product.objects.filter(pk=product_id).values_list("slug", flat=True).first()
        if slug:
            product_pages_changed(slugs=[slug], reason="questions")

    transaction.on_commit(_product_pages, robust=True)


def question_recount(*, question_id: int) -> None:
    """Recount a question's published answers (an answer was published,
    hidden, deleted or restored); that is activity on the question. An
    accepted answer that is hidden or deleted is not shown as the accepted
    one; restored, it is again (it keeps `is_accepted`)."""
    published = Answer.objects.filter(question_id=question_id, status=ContentStatus.PUBLISHED)
    count = published.count()
    accepted_id = published.filter(is_accepted=True).values_list("pk", flat=True).first()
    Question.objects.filter(pk=question_id).update(
        answer_count=count, accepted_answer_id=accepted_id, last_activity_at=timezone.now()
    )
    product_id = (
        Question.objects.filter(pk=question_id).values_list("product_id", flat=True).first()
    )
    qa_pages_changed(product_id=product_id)


# ---------------------------------------------------------------- questions
def _clean_title(title: str | None) -> str:
    return text_clean(title, label=_("Title"), max_length=TITLE_MAX, min_length=TITLE_MIN)


def _clean_details(body: str | None) -> str:
    return text_clean(body, label=_("Details"), max_length=BODY_MAX, required=False)


def question_ask(*, author, title: str, body: str = "", product=None) -> Question:
    """A member asks a question about `product` (a shop.Product the member
    can see) or, without one, a general question. Held for approval when
    the posting rules say so; QuestionAsked goes out once it is public."""
    title = _clean_title(title)
    body = _clean_details(body)
    with transaction.atomic():
        if product is not None and not (
            shop_selectors.product_visible_queryset(user=author).filter(pk=product.pk).exists()
        ):
            raise ApplicationError(_("No such product."), code="no_product", status_code=404)
        verified = product is not None and shop_selectors.user_purchased(
            user_id=author.pk, product_id=product.pk
        )
        decision = member_posting_check(
            user=author, text=f"{title}\n{body}", verified_buyer=verified
        )
        now = timezone.now()
        question = Question.objects.create(
            author=author,
            title=title,
            body_md=body,
            body_html=body_render(body) if body else "",
            product=product,
            status=ContentStatus.PENDING if decision.needs_approval else ContentStatus.PUBLISHED,
            last_activity_at=now,
        )
        content_created(content=question, pending=decision.needs_approval)
    return question


def question_edit(*, question: Question, editor, title: str, body: str = "") -> Question:
    """The author (within the edit window) or a moderator edits a question."""
    changes = {"title": _clean_title(title), "body_md": _clean_details(body)}
    with transaction.atomic():
        question = content_edit(content=question, editor=editor, changes=changes)
        qa_pages_changed(product_id=question.product_id)
    return question


def question_delete(*, question: Question, actor, reason: str = "") -> Question:
    return content_remove(content=question, actor=actor, reason=reason)


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise ApplicationError(_("Only moderators can do this."), code="forbidden", status_code=403)


def _log(*, moderator, action: str, question: Question, reason: str = "", **data) -> None:
    ModerationAction.objects.create(
        moderator=moderator,
        action=action,
        content_type=ContentType.objects.get_for_model(Question),
        object_id=question.pk,
        kind=question.kind,
        member_id=question.author_id,
        excerpt=question.moderation_title()[:200],
        reason=reason or "",
        data=data,
    )


@transaction.atomic
def question_close_duplicate(
    *, question: Question, original: Question, moderator, reason: str = ""
) -> Question:
    """A moderator closes `question` as a duplicate of `original`: it stays
    readable, links to the original, and takes no new answers."""
    _require_moderator(moderator)
    question = Question.objects.select_for_update().get(pk=question.pk)
    original = Question.objects.filter(pk=original.pk).first()
    if original is None or original.pk == question.pk:
        raise ApplicationError(
            _("Choose another question as the original."), code="duplicate_of_itself"
        )
    if not original.is_public:
        raise ApplicationError(
            _("The original must be a published question."), code="original_not_public"
        )
    if original.closed_as_duplicate_of_id is not None:
        raise ApplicationError(
            _("That question is itself closed as a duplicate; choose its original."),
            code="original_is_duplicate",
        )
    if question.closed_as_duplicate_of_id == original.pk:
        return question
    now = timezone.now()
    question.closed_as_duplicate_of = original
    question.closed_at = now
    question.closed_by = moderator
    question.last_activity_at = now
    question.save(
        update_fields=[
            "closed_as_duplicate_of",
            "closed_at",
            "closed_by",
            "last_activity_at",
            "updated_at",
        ]
    )
    # Questions closed as duplicates of this one now point at the original.
    Question.objects.filter(closed_as_duplicate_of=question).update(closed_as_duplicate_of=original)
    _log(
        moderator=moderator,
        action=ModerationAction.Action.DUPLICATE,
        question=question,
        reason=reason,
        original_id=original.pk,
        original_title=original.title,
    )
    qa_pages_changed(product_id=question.product_id)
    return question


@transaction.atomic
def question_reopen(*, question: Question, moderator, reason: str = "") -> Question:
    """A moderator reopens a question closed as a duplicate."""
    _require_moderator(moderator)
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.closed_as_duplicate_of_id is None:
        return question
    question.closed_as_duplicate_of = None
    question.closed_at = None
    question.closed_by = None
    question.save(update_fields=["closed_as_duplicate_of", "closed_at", "closed_by", "updated_at"])
    _log(
        moderator=moderator, action=ModerationAction.Action.REOPEN, question=question, reason=reason
    )
    qa_pages_changed(product_id=question.product_id)
    return question


# ------------------------------------------------------------------ answers
def answer_post(*, question: Question, author, body: str) -> Answer:
    """A member answers a public, open question. The system decides
    `verified_owner` (the author bought the question's product) and
    `official` (the author is staff)."""
    body = text_clean(body, label=_("Answer"), max_length=BODY_MAX)
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        if not question.is_public:
            raise ApplicationError(
                _("This question is not open for answers."), code="not_visible", status_code=404
            )
        if question.is_closed:
            raise ApplicationError(
                _("This question was closed as a duplicate; answer the original question."),
                code="closed",
            )
        verified = shop_selectors.user_purchased(
            user_id=author.pk if author.is_authenticated else None,
            product_id=question.product_id,
        )
        decision = member_posting_check(user=author, text=body, verified_buyer=verified)
        answer = Answer(
            question=question,
            author=author,
            body_md=body,
            body_html=body_render(body),
            verified_owner=verified,
            official=author.is_staff,
            status=ContentStatus.PENDING if decision.needs_approval else ContentStatus.PUBLISHED,
        )
        answer.save()
        content_created(content=answer, pending=decision.needs_approval)
    return answer


def answer_edit(*, answer: Answer, editor, body: str) -> Answer:
    """The author (within the edit window) or a moderator edits an answer."""
    body = text_clean(body, label=_("Answer"), max_length=BODY_MAX)
    with transaction.atomic():
        answer = content_edit(content=answer, editor=editor, changes={"body_md": body})
        qa_pages_changed(product_id=answer.question.product_id)
    return answer


def answer_delete(*, answer: Answer, actor, reason: str = "") -> Answer:
    return content_remove(content=answer, actor=actor, reason=reason)


VOTE_VALUES = (1, -1, 0)


def answer_vote(*, answer: Answer, voter, value: int) -> Answer:
    """The member's vote on an answer: +1, -1, or 0 to withdraw it. Voting
    again with another value changes the vote; the same value changes
    nothing. Returns the answer with its new score."""
    if value not in VOTE_VALUES:
        raise ApplicationError(_("Vote up or down."), code="vote_value")
    member_can_vote_check(user=voter)
    with transaction.atomic():
        answer = Answer.objects.select_for_update().select_related("question").get(pk=answer.pk)
        if not (answer.is_public and answer.question.is_public):
            raise ApplicationError(
                _("This answer is not visible any more."), code="not_visible", status_code=404
            )
        if answer.author_id == voter.pk:
            raise ApplicationError(
                _("You cannot vote on your own answer."), code="own_content", status_code=403
            )
        vote = AnswerVote.objects.filter(answer=answer, voter=voter).first()
        old = vote.value if vote is not None else 0
        if old == value:
            return answer
        if value == 0:
            vote.delete()
        elif vote is not None:
            vote.value = value
            vote.save(update_fields=["value", "updated_at"])
        else:
            AnswerVote.objects.create(answer=answer, voter=voter, value=value)
        Answer.objects.filter(pk=answer.pk).update(score=F("score") + (value - old))
        answer.refresh_from_db(fields=["score"])
        publish(
            AnswerVoted(
                answer_id=answer.pk,
                question_id=answer.question_id,
                voter_id=voter.pk,
                author_id=answer.author_id,
                value=value,
                product_id=answer.question.product_id,
            )
        )
        qa_pages_changed(product_id=answer.question.product_id)
    return answer


def _may_accept(user, question: Question) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and (question.author_id == user.pk or is_moderator(user))
    )


def answer_can_accept(*, user, question: Question) -> bool:
    return _may_accept(user, question)


def _accept_refusal(user, question: Question) -> None:
    if not _may_accept(user, question):
        raise ApplicationError(
            _("Only the member who asked this question can accept an answer."),
            code="forbidden",
            status_code=403,
        )


def _unaccept(*, answer: Answer, question: Question, user) -> None:
    Answer.objects.filter(pk=answer.pk).update(is_accepted=False, updated_at=timezone.now())
    answer.is_accepted = False
    publish(
        AnswerUnaccepted(
            answer_id=answer.pk,
            question_id=question.pk,
            author_id=answer.author_id,
            accepted_by_id=user.pk,
            product_id=question.product_id,
        )
    )


def answer_accept(*, answer: Answer, user) -> Answer:
    """The asker (or a moderator) accepts this answer; an answer accepted
    before is unaccepted. One accepted answer per question, also when two
    accepts race: both lock the question row first."""
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=answer.question_id)
        _accept_refusal(user, question)
        answer = Answer.objects.select_for_update().get(pk=answer.pk)
        if not (answer.is_public and question.is_public):
            raise ApplicationError(
                _("This answer is not visible any more."), code="not_visible", status_code=404
            )
        if answer.is_accepted:
            return answer
        previous = (
            Answer.objects.select_for_update()
            .filter(question=question, is_accepted=True)
            .exclude(pk=answer.pk)
            .first()
        )
        if previous is not None:
            _unaccept(answer=previous, question=question, user=user)
        Answer.objects.filter(pk=answer.pk).update(is_accepted=True, updated_at=timezone.now())
        answer.is_accepted = True
        Question.objects.filter(pk=question.pk).update(
            accepted_answer=answer, last_activity_at=timezone.now()
        )
        publish(
            AnswerAccepted(
                answer_id=answer.pk,
                question_id=question.pk,
                author_id=answer.author_id,
                accepted_by_id=user.pk,
                product_id=question.product_id,
            )
        )
        qa_pages_changed(product_id=question.product_id)
    answer.question = Question.objects.get(pk=question.pk)
    return answer


def answer_unaccept(*, answer: Answer, user) -> Answer:
    """The asker (or a moderator) takes the acceptance back."""
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=answer.question_id)
        _accept_refusal(user, question)
        answer = Answer.objects.select_for_update().get(pk=answer.pk)
        if not answer.is_accepted:
            return answer
        _unaccept(answer=answer, question=question, user=user)
        Question.objects.filter(pk=question.pk, accepted_answer=answer).update(accepted_answer=None)
        qa_pages_changed(product_id=question.product_id)
    return answer


# ---------------------------------------------------- asking recent buyers
def buyers_to_ask() -> int:
    return int(getattr(settings, "QA_BUYERS_TO_ASK", BUYERS_TO_ASK_DEFAULT))


def question_ask_buyers(*, question_id: int) -> list[int]:
    """Ask up to QA_BUYERS_TO_ASK recent buyers of the question's product to
    help answer it: never the asker, and no buyer more than once a week.
    Each request is recorded (BuyerQuestionRequest) before the buyer is
    told, in the same transaction. A second call for the same question asks
    nobody new. Returns the ids of the buyers asked now.

    The weekly limit spans questions, so it is read under a lock on each
    candidate buyer's row: two questions handled at once ask a buyer once
    (the second waits for the first to commit, then sees its request and
    asks fewer buyers)."""
    limit = buyers_to_ask()
    question = (
        Question.objects.filter(pk=question_id, status=ContentStatus.PUBLISHED)
        .select_related("product")
        .first()
    )
    if question is None or question.product_id is None or limit < 1:
        return []
    if BuyerQuestionRequest.objects.filter(question=question).exists():
        return []  # already done (the event was delivered again)
    since = timezone.now() - BUYER_ASK_INTERVAL
    asked_lately = set(
        BuyerQuestionRequest.objects.filter(created_at__gte=since).values_list(
            "buyer_id", flat=True
        )
    )
    buyer_ids = shop_selectors.product_recent_buyer_ids(
        product_id=question.product_id,
        limit=limit,
        exclude_user_ids=sorted(asked_lately | {question.author_id}),
    )
    if not buyer_ids:
        return []
    asked: list[int] = []
    with transaction.atomic():
        # In id order, so two workers locking overlapping buyers never wait
        # on each other in a circle.
        locked = set(
            get_user_model()
            .objects.select_for_update()
            .filter(pk__in=buyer_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        asked_meanwhile = set(
            BuyerQuestionRequest.objects.filter(
                buyer_id__in=locked, created_at__gte=since
            ).values_list("buyer_id", flat=True)
        )
        for buyer_id in buyer_ids:
            if buyer_id not in locked or buyer_id in asked_meanwhile:
                continue
            try:
                with transaction.atomic():
                    BuyerQuestionRequest.objects.create(question=question, buyer_id=buyer_id)
            except IntegrityError:
                continue
            notifying.ask_buyer(question=question, buyer_id=buyer_id)
            asked.append(buyer_id)
    return asked
