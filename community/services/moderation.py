"""The content kernel's writes: creating content under the posting rules,
editing it with history, flagging it, and every moderation decision. Each
kind's own services (reviews, forums, Q&A, polls) call these, so every kind
is moderated, audited and announced the same way.

Each function locks the content row (select_for_update) before it reads the
status it changes: two moderators, or a moderator and a flag, never both act
on the same old state."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.events import ContentModerated, ContentRemoved, ContentRestored
from community.models import (
    CommunitySettings,
    ContentStatus,
    Flag,
    MemberContent,
    ModerationAction,
    QueueItem,
    Revision,
)
from community.permissions import is_moderator
from community.selectors.landing import LANDING_NAMESPACE
from community.services.members import member_can_vote_check, member_published_count_add
from core import pagecache
from core.events import publish
from core.exceptions import ApplicationError
from core.markdown import render_markdown

Action = ModerationAction.Action
EXCERPT = 200


# --------------------------------------------------------------------- text
def text_clean(
    value: str | None,
    *,
    label: str,
    max_length: int,
    min_length: int = 1,
    required: bool = True,
) -> str:
    """The member's text, stripped, or ApplicationError with a message that
    names the field (empty, too short, too long, control characters)."""
    text = (value or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ApplicationError(
            _("%(field)s contains characters that are not allowed.") % {"field": label},
            code="invalid_characters",
        )
    if not text:
        if required:
            raise ApplicationError(
                _("%(field)s cannot be empty.") % {"field": label}, code="required"
            )
        return ""
    if len(text) < min_length:
        raise ApplicationError(
            _("%(field)s needs at least %(min)d characters.") % {"field": label, "min": min_length},
            code="too_short",
        )
    if len(text) > max_length:
        raise ApplicationError(
            _("%(field)s can be at most %(max)d characters (it has %(length)d).")
            % {"field": label, "max": max_length, "length": len(text)},
            code="too_long",
        )
    return text


def body_render(body_md: str) -> str:
    return render_markdown(body_md)


# ---------------------------------------------------------------- creation
def content_created(*, content: MemberContent, pending: bool) -> MemberContent:
    """Finish creating `content` (already saved by its kind's service, with
    status PENDING or PUBLISHED as `pending` says): queue it for approval,
    or announce its publication. Call inside the creating transaction."""
    if pending:
        if content.status != ContentStatus.PENDING:
            type(content).objects.filter(pk=content.pk).update(status=ContentStatus.PENDING)
            content.status = ContentStatus.PENDING
        _queue_open(content=content, reason=QueueItem.Reason.PENDING)
        return content
    _first_publication(content)
    return content


def _landing_changed(reason: str) -> None:
    """The community's front page and home block show public content of
    every kind: each publication, hide, restore and edit renews them."""
    pagecache.bump(LANDING_NAMESPACE, reason=reason)


def _first_publication(content: MemberContent) -> None:
    _landing_changed(f"{content.kind} published")
    now = timezone.now()
    fields = {"status": ContentStatus.PUBLISHED}
    if content.published_at is None:
        fields["published_at"] = now
    type(content).objects.filter(pk=content.pk).update(**fields)
    for name, value in fields.items():
        setattr(content, name, value)
    content.visibility_changed()
    if "published_at" in fields:
        member_published_count_add(user_id=content.author_id, delta=1)
        event = content.published_event()
        if event is not None:
            publish(event)


def _lock(content: MemberContent) -> MemberContent:
    return type(content).objects.select_for_update().get(pk=content.pk)


def _content_type(content: MemberContent) -> ContentType:
    return ContentType.objects.get_for_model(type(content))


def _excerpt(content: MemberContent) -> str:
    return content.moderation_title()[:EXCERPT]


def _queue_open(*, content: MemberContent, reason: str, flag_count: int = 0) -> QueueItem:
    content_type = _content_type(content)
    item = QueueItem.objects.filter(
        content_type=content_type, object_id=content.pk, state=QueueItem.State.OPEN
    ).first()
    if item is not None:
        # A flagged item that got hidden says so; a pending one stays pending.
        if reason == QueueItem.Reason.AUTO_HIDDEN or item.reason != QueueItem.Reason.PENDING:
            item.reason = reason
        item.flag_count = flag_count or item.flag_count
        item.excerpt = _excerpt(content)
        item.save(update_fields=["reason", "flag_count", "excerpt", "updated_at"])
        return item
    return QueueItem.objects.create(
        content_type=content_type,
        object_id=content.pk,
        kind=content.kind,
        author_id=content.author_id,
        reason=reason,
        excerpt=_excerpt(content),
        flag_count=flag_count,
    )


def _queue_resolve(*, content: MemberContent, moderator, resolution: str) -> None:
    QueueItem.objects.filter(
        content_type=_content_type(content), object_id=content.pk, state=QueueItem.State.OPEN
    ).update(
        state=QueueItem.State.RESOLVED,
        resolved_by=moderator,
        resolved_at=timezone.now(),
        resolution=resolution,
        updated_at=timezone.now(),
    )


def _flags_resolve(*, content: MemberContent, moderator, status: str) -> int:
    resolved = Flag.objects.filter(
        content_type=_content_type(content), object_id=content.pk, status=Flag.Status.OPEN
    ).update(status=status, resolved_by=moderator, resolved_at=timezone.now())
    type(content).objects.filter(pk=content.pk).update(flag_count=0)
    content.flag_count = 0
    return resolved


def _log(*, moderator, action: str, content: MemberContent, reason: str = "", **data):
    return ModerationAction.objects.create(
        moderator=moderator if moderator is not None and moderator.is_authenticated else None,
        action=action,
        content_type=_content_type(content),
        object_id=content.pk,
        kind=content.kind,
        member_id=content.author_id,
        excerpt=_excerpt(content),
        reason=reason or "",
        data=data,
    )


def _content_url(content: MemberContent) -> str:
    try:
        return content.get_absolute_url()
    except Exception:  # noqa: BLE001 - a kind without its own page
        return ""


def _tell_author(*, content: MemberContent, decision: str, moderator, reason: str) -> None:
    if moderator is not None and moderator.pk == content.author_id:
        return
    publish(
        ContentModerated(
            kind=content.kind,
            content_id=content.pk,
            author_id=content.author_id,
            decision=decision,
            moderator_id=moderator.pk if moderator is not None else None,
            reason=reason or "",
            url=_content_url(content),
            title=_excerpt(content),
        )
    )


def _set_status(content: MemberContent, status: str) -> None:
    _landing_changed(f"{content.kind} {status}")
    type(content).objects.filter(pk=content.pk).update(status=status, updated_at=timezone.now())
    content.status = status
    content.visibility_changed()


def _announce_removed(content: MemberContent, *, moderator, reason: str, by_author=False):
    if content.published_at is None:
        return  # never public: nothing was awarded or shown
    member_published_count_add(user_id=content.author_id, delta=-1)
    publish(
        ContentRemoved(
            kind=content.kind,
            content_id=content.pk,
            author_id=content.author_id,
            product_id=content.product_id_for_events(),
            moderator_id=moderator.pk if moderator is not None else None,
            by_author=by_author,
            reason=reason or "",
        )
    )


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise ApplicationError(_("Only moderators can do this."), code="forbidden", status_code=403)


# -------------------------------------------------------------- decisions
@transaction.atomic
def content_approve(*, content: MemberContent, moderator, reason: str = "") -> MemberContent:
    """Publish content held for approval (or hidden content: see restore)."""
    _require_moderator(moderator)
    content = _lock(content)
    if content.status == ContentStatus.PUBLISHED:
        _queue_resolve(content=content, moderator=moderator, resolution=Action.APPROVE)
        return content
    if content.status != ContentStatus.PENDING:
        return content_restore(content=content, moderator=moderator, reason=reason)
    _first_publication(content)
    _queue_resolve(content=content, moderator=moderator, resolution=Action.APPROVE)
    _log(moderator=moderator, action=Action.APPROVE, content=content, reason=reason)
    _tell_author(content=content, decision=Action.APPROVE, moderator=moderator, reason=reason)
    return content


@transaction.atomic
def content_hide(
    *, content: MemberContent, moderator, reason: str = "", action: str = Action.HIDE
) -> MemberContent:
    """Hide content from everyone but its author and moderators."""
    _require_moderator(moderator)
    content = _lock(content)
    if content.status in (ContentStatus.HIDDEN, ContentStatus.REMOVED):
        _queue_resolve(content=content, moderator=moderator, resolution=action)
        return content
    was_public = content.status == ContentStatus.PUBLISHED
    _set_status(content, ContentStatus.HIDDEN)
    if was_public:
        _announce_removed(content, moderator=moderator, reason=reason)
    if action == Action.AGREE:
        _flags_resolve(content=content, moderator=moderator, status=Flag.Status.AGREED)
    _queue_resolve(content=content, moderator=moderator, resolution=action)
    _log(moderator=moderator, action=action, content=content, reason=reason)
    _tell_author(content=content, decision=Action.HIDE, moderator=moderator, reason=reason)
    return content


@transaction.atomic
def content_restore(*, content: MemberContent, moderator, reason: str = "") -> MemberContent:
    """Make hidden or deleted content public again; its flags are dismissed."""
    _require_moderator(moderator)
    content = _lock(content)
    if content.status == ContentStatus.PUBLISHED:
        _flags_resolve(content=content, moderator=moderator, status=Flag.Status.DISAGREED)
        _queue_resolve(content=content, moderator=moderator, resolution=Action.DISAGREE)
        _log(moderator=moderator, action=Action.DISAGREE, content=content, reason=reason)
        return content
    never_public = content.published_at is None
    _flags_resolve(content=content, moderator=moderator, status=Flag.Status.DISAGREED)
    if never_public:
        _first_publication(content)
    else:
        try:
            with transaction.atomic():
                _set_status(content, ContentStatus.PUBLISHED)
        except IntegrityError:
            # e.g. a deleted review whose author has written a new one since
            raise ApplicationError(
                _("This cannot be restored: its author has published a newer one."),
                code="superseded",
                status_code=409,
            ) from None
        member_published_count_add(user_id=content.author_id, delta=1)
        publish(
            ContentRestored(
                kind=content.kind,
                content_id=content.pk,
                author_id=content.author_id,
                product_id=content.product_id_for_events(),
                moderator_id=moderator.pk,
                reason=reason or "",
            )
        )
    _queue_resolve(content=content, moderator=moderator, resolution=Action.RESTORE)
    _log(moderator=moderator, action=Action.RESTORE, content=content, reason=reason)
    _tell_author(content=content, decision=Action.RESTORE, moderator=moderator, reason=reason)
    return content


@transaction.atomic
def content_dismiss_flags(
    *, content: MemberContent, moderator, reason: str = "", agree: bool = False
) -> MemberContent:
    """Close the flags without changing the content ("ignore"), or agree
    with them, which hides it."""
    _require_moderator(moderator)
    if agree:
        return content_hide(
            content=content, moderator=moderator, reason=reason, action=Action.AGREE
        )
    content = _lock(content)
    _flags_resolve(content=content, moderator=moderator, status=Flag.Status.IGNORED)
    _queue_resolve(content=content, moderator=moderator, resolution=Action.IGNORE)
    _log(moderator=moderator, action=Action.IGNORE, content=content, reason=reason)
    return content


@transaction.atomic
def content_remove(*, content: MemberContent, actor, reason: str = "") -> MemberContent:
    """Delete content: by a moderator, or by its author within the edit
    window. The row stays (status REMOVED) for the audit history."""
    content = _lock(content)
    by_author = content.author_id == actor.pk
    if not is_moderator(actor):
        if not by_author:
            raise ApplicationError(
                _("You can only delete your own posts."), code="forbidden", status_code=403
            )
        _require_in_edit_window(content, verb=_("delete"))
    if content.status == ContentStatus.REMOVED:
        return content
    was_public = content.status == ContentStatus.PUBLISHED
    _set_status(content, ContentStatus.REMOVED)
    if was_public:
        _announce_removed(
            content, moderator=None if by_author else actor, reason=reason, by_author=by_author
        )
    _queue_resolve(content=content, moderator=actor, resolution=Action.REMOVE)
    _log(moderator=actor, action=Action.REMOVE, content=content, reason=reason, by_author=by_author)
    if not by_author:
        _tell_author(content=content, decision=Action.REMOVE, moderator=actor, reason=reason)
    return content


# ------------------------------------------------------------------ edits
def _require_in_edit_window(content: MemberContent, *, verb: str) -> None:
    window = CommunitySettings.current().edit_window
    if window is not None and timezone.now() - content.created_at > window:
        raise ApplicationError(
            _("The time to %(verb)s this has passed.") % {"verb": verb},
            code="edit_window_passed",
            status_code=403,
        )


def content_can_edit(*, user, content: MemberContent) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if is_moderator(user):
        return True
    if content.author_id != user.pk or content.status == ContentStatus.REMOVED:
        return False
    window = CommunitySettings.current().edit_window
    return window is None or timezone.now() - content.created_at <= window


@transaction.atomic
def content_edit(*, content: MemberContent, editor, changes: dict[str, str]) -> MemberContent:
    """Apply an edit (already cleaned values of `revision_fields()` keys):
    the previous text is kept as a Revision, the body re-rendered. Authors
    edit within the edit window; moderators at any time."""
    content = _lock(content)
    if not is_moderator(editor):
        if content.author_id != editor.pk:
            raise ApplicationError(
                _("You can only edit your own posts."), code="forbidden", status_code=403
            )
        if content.status == ContentStatus.REMOVED:
            raise ApplicationError(_("This was deleted."), code="removed", status_code=403)
        _require_in_edit_window(content, verb=_("edit"))
    before = content.revision_fields()
    unknown = set(changes) - set(before)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    changed = {name: value for name, value in changes.items() if before[name] != value}
    if not changed:
        return content
    Revision.objects.create(
        content_type=_content_type(content), object_id=content.pk, editor=editor, fields=before
    )
    for name, value in changed.items():
        setattr(content, name, value)
    content.body_html = body_render(content.body_md)
    content.edited_at = timezone.now()
    content.edit_count = F("edit_count") + 1
    content.save(update_fields=[*changed, "body_html", "edited_at", "edit_count", "updated_at"])
    content.refresh_from_db()
    if content.is_public:
        _landing_changed(f"{content.kind} edited")
    if editor.pk != content.author_id:
        _log(moderator=editor, action=Action.EDIT, content=content, fields=sorted(changed))
    return content


# ------------------------------------------------------------------ flags
@dataclass(frozen=True)
class FlagResult:
    flag: Flag
    hidden: bool  # this flag hid the content


@transaction.atomic
def content_flag(*, content: MemberContent, flagger, reason: str, note: str = "") -> FlagResult:
    """One member reports content (once). Enough distinct members
    (CommunitySettings.flags_to_hide) hide it until a moderator decides."""
    member_can_vote_check(user=flagger)
    if reason not in Flag.Reason.values:
        raise ApplicationError(_("Choose a reason for the flag."), code="reason")
    note = text_clean(note, label=_("Note"), max_length=500, required=False)
    content = _lock(content)
    if content.author_id == flagger.pk:
        raise ApplicationError(_("You cannot flag your own post."), code="own_content")
    if not content.is_public:
        raise ApplicationError(
            _("This is not visible any more."), code="not_visible", status_code=404
        )
    content_type = _content_type(content)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                content_type=content_type,
                object_id=content.pk,
                kind=content.kind,
                flagger=flagger,
                reason=reason,
                note=note,
            )
    except IntegrityError:
        raise ApplicationError(
            _("You have already flagged this."), code="already_flagged"
        ) from None
    open_flags = Flag.objects.filter(
        content_type=content_type, object_id=content.pk, status=Flag.Status.OPEN
    ).count()
    type(content).objects.filter(pk=content.pk).update(flag_count=open_flags)
    content.flag_count = open_flags
    threshold = CommunitySettings.current().flags_to_hide
    hidden = open_flags >= threshold
    if hidden:
        _set_status(content, ContentStatus.HIDDEN)
        _announce_removed(content, moderator=None, reason=_("Hidden after flags"))
        _queue_open(content=content, reason=QueueItem.Reason.AUTO_HIDDEN, flag_count=open_flags)
        _log(moderator=None, action=Action.AUTO_HIDE, content=content, flags=open_flags)
        _tell_author(content=content, decision=Action.AUTO_HIDE, moderator=None, reason="")
    else:
        _queue_open(content=content, reason=QueueItem.Reason.FLAGGED, flag_count=open_flags)
    return FlagResult(flag=flag, hidden=hidden)


# ------------------------------------------------------------ queue lookups
def content_for(*, content_type_id: int, object_id: int) -> MemberContent | None:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return None
    return model.objects.filter(pk=object_id).first()
