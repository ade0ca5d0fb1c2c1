"""The community's notification kinds, and the handlers that turn its events
into notifications (core.notifications). Each handler reads what the line
needs (names, titles) once, when the event is delivered, and stores it in
the notification's data, so the list renders without a query per line.

Keys make a second delivery of an event a no-op: one notification per
member per post, answer, like or decision."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from core.notifications import Delivery, NotificationKind, notification_kind_register, notify

REPLY = "community.reply"
MENTION = "community.mention"
QUOTE = "community.quote"
LIKE = "community.like"
WATCHED = "community.watched"
ANSWER = "community.answer"
ACCEPTED = "community.answer_accepted"
BUYER_QUESTION = "community.question_for_buyer"
REVIEW_REPLY = "community.review_reply"
REVIEW_REQUEST = "community.review_request"
MODERATION = "community.moderation"


def _line(template):
    def render(data: dict) -> str:
        return gettext(template) % {
            "name": data.get("name", ""),
            "title": data.get("title", ""),
        }

    return render


KINDS = [
    NotificationKind(
        code=REPLY,
        label=gettext_lazy("Replies to your threads and posts"),
        render=_line("%(name)s replied in “%(title)s”"),
    ),
    NotificationKind(
        code=MENTION,
        label=gettext_lazy("Mentions of you"),
        render=_line("%(name)s mentioned you in “%(title)s”"),
    ),
    NotificationKind(
        code=QUOTE,
        label=gettext_lazy("Quotes of your posts"),
        render=_line("%(name)s quoted you in “%(title)s”"),
    ),
    NotificationKind(
        code=LIKE,
        label=gettext_lazy("Likes of your posts"),
        render=_line("%(name)s liked your post in “%(title)s”"),
        default=Delivery.WEB,
    ),
    NotificationKind(
        code=WATCHED,
        label=gettext_lazy("New posts in threads and categories you watch"),
        render=_line("%(name)s posted in “%(title)s”"),
        default=Delivery.DAILY,
    ),
    NotificationKind(
        code=ANSWER,
        label=gettext_lazy("Answers to your questions"),
        render=_line("%(name)s answered “%(title)s”"),
    ),
    NotificationKind(
        code=ACCEPTED,
        label=gettext_lazy("Your answer accepted"),
        render=_line("%(name)s accepted your answer to “%(title)s”"),
    ),
    NotificationKind(
        code=BUYER_QUESTION,
        label=gettext_lazy("Questions about products you bought"),
        description=gettext_lazy("At most once a week, a shopper's question you could answer."),
        render=lambda data: (
            gettext("A shopper asks about %(product)s: “%(title)s”. Can you help?")
            % {"product": data.get("product_name", ""), "title": data.get("title", "")}
        ),
    ),
    NotificationKind(
        code=REVIEW_REPLY,
        label=gettext_lazy("The shop's replies to your reviews"),
        render=_line("The shop replied to your review of %(title)s"),
    ),
    NotificationKind(
        code=REVIEW_REQUEST,
        label=gettext_lazy("Requests to review what you bought"),
        render=_line("How is your %(title)s? Write a review"),
        default=Delivery.WEB,
        email=False,
    ),
    NotificationKind(
        code=MODERATION,
        label=gettext_lazy("Moderators' decisions on your posts"),
        render=lambda data: _decision_line(data),
        mutable=False,
    ),
]


def _decision_line(data: dict) -> str:
    lines = {
        "approve": gettext("Your post “%(title)s” was approved and is now public."),
        "hide": gettext("Your post “%(title)s” was hidden by a moderator."),
        "auto_hide": gettext("Your post “%(title)s” was hidden after members flagged it."),
        "restore": gettext("Your post “%(title)s” was restored."),
        "remove": gettext("Your post “%(title)s” was deleted by a moderator."),
    }
    line = lines.get(data.get("decision"), gettext("A moderator acted on “%(title)s”."))
    line = line % {"title": data.get("title", "")}
    if data.get("reason"):
        line += " " + gettext("Reason: %(reason)s") % {"reason": data["reason"]}
    return line


def register_kinds() -> None:
    for kind in KINDS:
        notification_kind_register(kind)


def notify_decision(event) -> None:
    """Tell the author what a moderator (or the flags) decided on their content."""
    notify(
        user_id=event.author_id,
        kind=MODERATION,
        key=f"community.moderation:{event.event_id}",
        data={
            "decision": event.decision,
            "title": event.title[:120],
            "reason": event.reason[:300],
        },
        url=event.url if event.decision != "remove" else "",
        actor_id=event.moderator_id,
    )


# ------------------------------------------------------------ from events
def _name(user_id: int | None) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return user.public_name if user is not None else ""


def notify_like(event) -> None:
    from community.models import Post
    from community.selectors.forums import post_url

    post = Post.objects.select_related("thread").filter(pk=event.post_id).first()
    if post is None or not post.is_public:
        return
    notify(
        user_id=event.author_id,
        kind=LIKE,
        key=f"forum.like:{event.post_id}:{event.liker_id}",
        data={"name": _name(event.liker_id), "title": post.thread.title},
        url=post_url(post),
        actor_id=event.liker_id,
    )


def notify_answer(event) -> None:
    from community.models import Answer

    answer = Answer.objects.select_related("question", "author").filter(pk=event.answer_id).first()
    if answer is None or not answer.is_public:
        return
    notify(
        user_id=event.question_author_id,
        kind=ANSWER,
        key=f"qa.answer:{event.answer_id}",
        data={"name": answer.author.public_name, "title": answer.question.title},
        url=answer.get_absolute_url(),
        actor_id=event.author_id,
    )


def notify_accepted(event) -> None:
    from community.models import Answer

    answer = Answer.objects.select_related("question").filter(pk=event.answer_id).first()
    if answer is None:
        return
    notify(
        user_id=event.author_id,
        kind=ACCEPTED,
        key=f"qa.accepted:{event.event_id}",
        data={"name": _name(event.accepted_by_id), "title": answer.question.title},
        url=answer.get_absolute_url(),
        actor_id=event.accepted_by_id,
    )


def notify_review_reply(event) -> None:
    from community.models import Review

    review = Review.objects.select_related("product").filter(pk=event.review_id).first()
    if review is None:
        return
    notify(
        user_id=event.author_id,
        kind=REVIEW_REPLY,
        key=f"review.reply:{event.event_id}",
        data={"title": review.product.name},
        url=review.get_absolute_url(),
        actor_id=event.staff_id,
    )


FORUM_KINDS = {
    "mentioned": MENTION,
    "quoted": QUOTE,
    "replied": REPLY,
    "thread_reply": REPLY,
    "watching_thread": WATCHED,
    "watching_category": WATCHED,
}


def notify_forum_post(*, user_id: int, reason: str, post) -> None:
    """One member hears of a new post, for the most specific reason."""
    from community.selectors.forums import post_url

    notify(
        user_id=user_id,
        kind=FORUM_KINDS[reason],
        key=f"forum.post:{post.pk}",
        data={"name": post.author.public_name, "title": post.thread.title, "reason": reason},
        url=post_url(post),
        actor_id=post.author_id,
    )
