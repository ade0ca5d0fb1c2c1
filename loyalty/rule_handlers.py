"""The earning rules' handlers: award points for what members do, and set
the standing of those awards when orders are cancelled or refunded and
content is removed or restored.

Subjects (what an award is for) line up with community's ContentRemoved
(kind, content_id), so a removal settles every award of "<kind>:<id>":
  purchase          "order:<order_id>" (pending, held by the order)
  signup            "user:<user_id>"
  email_verified    "user:<user_id>"
  review            "review:<review_id>"
  review_photo      "review:<review_id>"
  first_review      "review:<review_id>"
  review_helpful    "review-vote:<review_id>:<voter_id>" (to the review's author)
  answer            "answer:<answer_id>"
  answer_accepted   "answer:<answer_id>"
  forum_thread      "post:<first post id>" (a thread is removed as its first post)
  forum_reply       "post:<post_id>"
  poll_vote         "poll-vote:<poll_id>"
  daily_visit       "visit:<YYYY-MM-DD>" (local date)
  birthday          "birthday:<year>"
  profile_completed "profile:<user_id>"
  referral          "referral:<referred user id>" (both members; pending, held
                    by the referred member's first paid order)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.events import EmailVerified, ProfileCompleted, UserSignedUp
from community.events import (
    AnswerAccepted,
    AnswerPosted,
    AnswerUnaccepted,
    ContentRemoved,
    ContentRestored,
    PollVoted,
    PostCreated,
    ReviewPublished,
    ReviewVoted,
    ThreadCreated,
)
from core import hooks
from core.events import subscribe
from loyalty.models import Area, Award, FirstReview, PaidOrder, RuleCode
from loyalty.selectors.tiers import tier_multiplier
from loyalty.services.ledger import award_standing, order_delivered, subject_standing
from loyalty.services.referrals import referral_first_order, referral_link_on_signup
from loyalty.services.rules import (
    Earn,
    purchase_points,
    rule_award,
    rule_award_many,
    rule_get,
    rule_standing,
)
from shop.events import (
    OrderCancelled,
    OrderDelivered,
    OrderPaid,
    OrderRefundDue,
    OrderRefunded,
)


def order_subject(order_id: int) -> str:
    return f"order:{order_id}"


def _earn(event, code: str, *, user_id: int | None, subject: str, area: str) -> Earn:
    """What `event` may earn under rule `code` (its id and time go with it)."""
    return Earn(
        code=code,
        user_id=user_id,
        subject=subject,
        area=area,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
    )


# ------------------------------------------------------------------ shop
def _paid_order_locked(*, order_id: int, user_id: int | None) -> PaidOrder:
    """The order's row, created if need be and locked: the order's payment
    and its cancellation or refunds are handled one at a time, whichever
    worker delivers them, so neither misses the other."""
    PaidOrder.objects.bulk_create(
        [PaidOrder(order_id=order_id, user_id=user_id)], ignore_conflicts=True
    )
    return PaidOrder.objects.select_for_update().get(order_id=order_id)


def _settled_share(row: PaidOrder) -> float | None:
    """The share of the order's points a cancellation or refund leaves
    standing (None: none heard, or a partial refund of a total not known yet)."""
    if row.settled_at is None:
        return None
    if row.settled_share is not None:
        return row.settled_share
    if not row.total or row.refunded_total is None:
        return None
    return float(max(Decimal(0), 1 - row.refunded_total / row.total))


def _settle_if_heard(row: PaidOrder) -> None:
    """After the order's awards were made: a cancellation or refund heard
    before the payment (delivered out of order) settles them now, as it
    would have had it come after."""
    share = _settled_share(row)
    if share is None:
        return
    _order_standing(
        order_id=row.order_id,
        share=share,
        source_event_id=row.settled_event_id,
        occurred_at=row.settled_at,
        note=_("Order refunded.") if row.refunded_total is not None else _("Order cancelled."),
    )


@subscribe(OrderPaid, name="loyalty.purchase_paid")
@transaction.atomic
def purchase_paid(event: OrderPaid) -> None:
    if event.user_id is None:
        return
    row = _paid_order_locked(order_id=event.order_id, user_id=event.user_id)
    if row.total is None:
        row.user_id, row.total, row.paid_at = event.user_id, Decimal(event.total), event.occurred_at
        row.save(update_fields=["user", "total", "paid_at"])
    _purchase_award(event)
    _referral_reward(event)
    _settle_if_heard(row)


def _purchase_award(event: OrderPaid) -> None:
    rule = rule_get(RuleCode.PURCHASE)
    if rule is None:
        return
    rule_award(
        code=RuleCode.PURCHASE,
        rule=rule,
        user_id=event.user_id,
        subject=order_subject(event.order_id),
        points=purchase_points(
            rule=rule,
            total=max(Decimal(event.total) - Decimal(event.shipping), Decimal("0")),
            multiplier=tier_multiplier(event.user_id),
        ),
        area=Area.SHOP,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        pending=True,
        hold_order_id=event.order_id,
    )


def _referral_reward(event: OrderPaid) -> None:
    """Both members of a referral earn when the referred one's first order
    is paid (pending like the order's own points, and reversed with it)."""
    referral = referral_first_order(user_id=event.user_id, order_id=event.order_id)
    if referral is None:
        return
    for user_id in (referral.referrer_id, referral.referred_id):
        rule_award(
            code=RuleCode.REFERRAL,
            user_id=user_id,
            subject=f"referral:{referral.referred_id}",
            area=Area.ACCOUNT,
            source_event_id=event.event_id,
            occurred_at=event.occurred_at,
            pending=True,
            hold_order_id=event.order_id,
        )


# How many authors one order can reward: the first ones the buyer read.
CONTRIBUTIONS_PER_ORDER = 5


@subscribe(OrderPaid, name="loyalty.contribution_sold")
def contribution_sold(event: OrderPaid) -> None:
    """The reviews and answers about the products bought that the buyer read
    before paying earn their authors a bonus (one per author and order),
    pending until the order's return window passes and reversed with it."""
    if event.user_id is None or not event.product_ids:
        return
    rule = rule_get(RuleCode.CONTRIBUTION_SOLD)
    if rule is None:
        return
    with transaction.atomic():
        row = _paid_order_locked(order_id=event.order_id, user_id=event.user_id)
        _contributions_award(event, rule)
        _settle_if_heard(row)


def _contributions_award(event: OrderPaid, rule) -> None:
    read: list[dict] = []
    for fn in hooks.get_hooks(hooks.CONTENT_READ):
        read = fn(user_id=event.user_id, product_ids=event.product_ids, before=event.occurred_at)
        break
    rewarded: set[int] = set()
    for item in read:
        author_id = item["author_id"]
        if author_id in rewarded or author_id == event.user_id:
            continue
        if len(rewarded) == CONTRIBUTIONS_PER_ORDER:
            break
        rewarded.add(author_id)
        rule_award(
            code=RuleCode.CONTRIBUTION_SOLD,
            rule=rule,
            user_id=author_id,
            subject=f"{item['kind']}:{item['id']}:{order_subject(event.order_id)}",
            area=Area.REVIEWS if item["kind"] == "review" else Area.ANSWERS,
            source_event_id=event.event_id,
            occurred_at=event.occurred_at,
            pending=True,
            hold_order_id=event.order_id,
        )


@subscribe(OrderDelivered, name="loyalty.purchase_delivered")
def purchase_delivered(event: OrderDelivered) -> None:
    order_delivered(order_id=event.order_id, delivered_at=event.occurred_at, user_id=event.user_id)


def _order_standing(
    *, order_id: int, share: float, source_event_id, occurred_at, note: str
) -> None:
    """Every award for the order or held by it stands at `share`."""
    awards = (
        Award.objects.filter(Q(subject=order_subject(order_id)) | Q(hold_order_id=order_id))
        .order_by("user_id", "rule", "subject")
        .values_list("user_id", "rule", "subject")
    )
    for user_id, rule, subject in awards:
        award_standing(
            user_id=user_id,
            rule=rule,
            subject=subject,
            share=share,
            source_event_id=source_event_id,
            occurred_at=occurred_at,
            note=note,
        )


def _remember_settlement(
    row: PaidOrder, *, event, share: float | None, refunded_total: Decimal | None = None
) -> None:
    if row.settled_at is not None and row.settled_at >= event.occurred_at:
        return  # a later cancellation or refund was heard already
    row.settled_share, row.refunded_total = share, refunded_total
    row.settled_at, row.settled_event_id = event.occurred_at, event.event_id
    row.save(update_fields=["settled_share", "refunded_total", "settled_at", "settled_event_id"])


@subscribe(OrderCancelled, name="loyalty.purchase_cancelled")
@transaction.atomic
def purchase_cancelled(event: OrderCancelled) -> None:
    row = _paid_order_locked(order_id=event.order_id, user_id=event.user_id)
    _remember_settlement(row, event=event, share=0.0)
    _order_standing(
        order_id=event.order_id,
        share=0,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        note=_("Order cancelled."),
    )


@subscribe(OrderRefunded, name="loyalty.purchase_refunded")
@transaction.atomic
def purchase_refunded(event: OrderRefunded) -> None:
    try:
        refunded = Decimal(event.refunded_total)
    except InvalidOperation:
        refunded = None
    if refunded is None and not event.full:
        return
    row = _paid_order_locked(order_id=event.order_id, user_id=event.user_id)
    _remember_settlement(
        row, event=event, share=0.0 if event.full else None, refunded_total=refunded
    )
    share = _settled_share(row) if not event.full else 0.0
    if share is None:
        return  # not heard paid yet: the payment's handler settles it
    _order_standing(
        order_id=event.order_id,
        share=share,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        note=_("Order refunded."),
    )


@subscribe(OrderRefundDue, name="loyalty.purchase_refund_due")
def purchase_refund_due(event: OrderRefundDue) -> None:
    """A payment that never counted is given back: its order's points were
    already settled by the cancellation, so nothing is reversed."""


# ------------------------------------------------------------------ accounts
@subscribe(UserSignedUp, name="loyalty.signup")
def signup(event: UserSignedUp) -> None:
    referral_link_on_signup(user_id=event.user_id)
    rule_award(
        code=RuleCode.SIGNUP,
        user_id=event.user_id,
        subject=f"user:{event.user_id}",
        area=Area.ACCOUNT,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
    )


def email_verified(event: EmailVerified) -> None:
    emails_verified([event])


@subscribe(EmailVerified, name="loyalty.email_verified", many=True)
def emails_verified(events: list[EmailVerified]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.EMAIL_VERIFIED,
                user_id=event.user_id,
                subject=f"user:{event.user_id}",
                area=Area.ACCOUNT,
            )
            for event in events
        ]
    )


def profile_completed(event: ProfileCompleted) -> None:
    profiles_completed([event])


@subscribe(ProfileCompleted, name="loyalty.profile_completed", many=True)
def profiles_completed(events: list[ProfileCompleted]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.PROFILE_COMPLETED,
                user_id=event.user_id,
                subject=f"profile:{event.user_id}",
                area=Area.ACCOUNT,
            )
            for event in events
        ]
    )


# ------------------------------------------------------------------ community
# Handlers of the events members make all day take a list (subscribe(...,
# many=True)): a batch of events is awarded with a few statements
# (rule_award_many). The single-event functions are the same for one event.
def review_published(event: ReviewPublished) -> None:
    reviews_published([event])


@subscribe(ReviewPublished, name="loyalty.review", many=True)
def reviews_published(events: list[ReviewPublished]) -> None:
    firsts = _first_reviews_of_products(events)
    earns = []
    for event in events:
        codes = [RuleCode.REVIEW]
        if event.photo_count > 0:
            codes.append(RuleCode.REVIEW_PHOTO)
        if event.review_id in firsts:
            codes.append(RuleCode.FIRST_REVIEW)
        earns += [
            _earn(
                event,
                code,
                user_id=event.author_id,
                subject=f"review:{event.review_id}",
                area=Area.REVIEWS,
            )
            for code in codes
        ]
    rule_award_many(earns)


def _first_reviews_of_products(events: list[ReviewPublished]) -> set[int]:
    """The reviews among these that are their product's first published
    review ever (the first to claim the product's row; a redelivery finds
    its own claim). Products are claimed in order, so two batches claiming
    the same products wait for each other instead of deadlocking."""
    if not events:
        return set()
    claims: dict[int, ReviewPublished] = {}
    for event in events:
        claims.setdefault(event.product_id, event)
    FirstReview.objects.bulk_create(
        [
            FirstReview(product_id=product_id, review_id=event.review_id, user_id=event.author_id)
            for product_id, event in sorted(claims.items())
        ],
        ignore_conflicts=True,
    )
    first = dict(
        FirstReview.objects.filter(product_id__in=claims).values_list("product_id", "review_id")
    )
    return {event.review_id for event in events if first.get(event.product_id) == event.review_id}


@subscribe(ReviewVoted, name="loyalty.review_helpful")
def review_voted(event: ReviewVoted) -> None:
    subject = f"review-vote:{event.review_id}:{event.voter_id}"
    if event.voter_id == event.author_id:
        return
    if event.helpful:
        rule_award(
            code=RuleCode.REVIEW_HELPFUL,
            user_id=event.author_id,
            subject=subject,
            area=Area.REVIEWS,
            source_event_id=event.event_id,
            occurred_at=event.occurred_at,
        )
    else:
        rule_standing(
            code=RuleCode.REVIEW_HELPFUL,
            user_id=event.author_id,
            subject=subject,
            share=0,
            source_event_id=event.event_id,
            occurred_at=event.occurred_at,
            note=_("Helpful vote withdrawn."),
        )


def answer_posted(event: AnswerPosted) -> None:
    answers_posted([event])


@subscribe(AnswerPosted, name="loyalty.answer", many=True)
def answers_posted(events: list[AnswerPosted]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.ANSWER,
                user_id=event.author_id,
                subject=f"answer:{event.answer_id}",
                area=Area.ANSWERS,
            )
            for event in events
        ]
    )


def answer_accepted(event: AnswerAccepted) -> None:
    answers_accepted([event])


@subscribe(AnswerAccepted, name="loyalty.answer_accepted", many=True)
def answers_accepted(events: list[AnswerAccepted]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.ANSWER_ACCEPTED,
                user_id=event.author_id,
                subject=f"answer:{event.answer_id}",
                area=Area.ANSWERS,
            )
            for event in events
            if event.accepted_by_id != event.author_id  # accepting one's own answer earns nothing
        ]
    )


@subscribe(AnswerUnaccepted, name="loyalty.answer_unaccepted")
def answer_unaccepted(event: AnswerUnaccepted) -> None:
    rule_standing(
        code=RuleCode.ANSWER_ACCEPTED,
        user_id=event.author_id,
        subject=f"answer:{event.answer_id}",
        share=0,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        note=_("Answer no longer accepted."),
    )


def thread_created(event: ThreadCreated) -> None:
    threads_created([event])


@subscribe(ThreadCreated, name="loyalty.forum_thread", many=True)
def threads_created(events: list[ThreadCreated]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.FORUM_THREAD,
                user_id=event.author_id,
                subject=f"post:{event.post_id}",
                area=Area.FORUM,
            )
            for event in events
        ]
    )


def post_created(event: PostCreated) -> None:
    posts_created([event])


@subscribe(PostCreated, name="loyalty.forum_reply", many=True)
def posts_created(events: list[PostCreated]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.FORUM_REPLY,
                user_id=event.author_id,
                subject=f"post:{event.post_id}",
                area=Area.FORUM,
            )
            for event in events
        ]
    )


def poll_voted(event: PollVoted) -> None:
    polls_voted([event])


@subscribe(PollVoted, name="loyalty.poll_vote", many=True)
def polls_voted(events: list[PollVoted]) -> None:
    rule_award_many(
        [
            _earn(
                event,
                RuleCode.POLL_VOTE,
                user_id=event.voter_id,
                subject=f"poll-vote:{event.poll_id}",
                area=Area.POLLS,
            )
            for event in events
            if event.first_vote
        ]
    )


@subscribe(ContentRemoved, name="loyalty.content_removed")
def content_removed(event: ContentRemoved) -> None:
    subject_standing(
        subject=f"{event.kind}:{event.content_id}",
        share=0,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        note=_("Content removed."),
    )


@subscribe(ContentRestored, name="loyalty.content_restored")
def content_restored(event: ContentRestored) -> None:
    subject_standing(
        subject=f"{event.kind}:{event.content_id}",
        share=1,
        source_event_id=event.event_id,
        occurred_at=event.occurred_at,
        note=_("Content restored."),
    )
