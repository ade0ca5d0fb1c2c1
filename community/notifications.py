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
        render=_line("A shopper asks about %(title)s: can you help?"),
    ),
    NotificationKind(
        code=REVIEW_REPLY,
        label=gettext_lazy("The shop's replies to your reviews"),
        render=_line("The shop replied to your review of %(title)s"),
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
