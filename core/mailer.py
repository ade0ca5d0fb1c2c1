"""The mail outbox: every email is recorded, then sent by its own task.

    email_record(
        key=f"order:{order.pk}:paid:{order.email}",
        kind="order_paid",
        to=[order.email],
        subject=..., body_text=..., body_html=...,
    )

`email_record()` writes one OutgoingEmail row in the caller's transaction
(the transaction of the change the email is about, e.g. the event handler's),
rendered and translated already. The same key recorded again records nothing,
so a second delivery of an event sends no second email. After commit,
core.tasks.send_email sends it; the beat task core.tasks.send_due_emails sends
whatever is still due (the broker was down, a worker was killed, an attempt
failed and its backoff ran out).

Sending never happens inside a transaction that holds locks (see
`email_send()`): a mail server that hangs costs one worker at most
MAIL_TIMEOUT per socket operation (and the task's time limit overall), and
nothing else waits for it.

Inside core.events.quiet() (demo data, and the handlers of the events it
published, wherever they run) nothing is recorded: made-up shoppers get no
mail."""

from __future__ import annotations

import contextlib
import smtplib
import time
import traceback
import uuid
from collections.abc import Iterable
from datetime import timedelta
from email.utils import make_msgid, parseaddr
from functools import partial

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import checks, mail
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as KombuOperationalError

from core.events import is_quiet
from core.models import OutgoingEmail

logger = structlog.get_logger(__name__)

Status = OutgoingEmail.Status
# Marks a row whose message holds a sign-in secret; never sent as a header.
SENSITIVE_HEADER = "X-Kampung-Sensitive"
MAX_BACKOFF_SECONDS = 3600
KEY_MAX_LENGTH = OutgoingEmail._meta.get_field("key").max_length


def email_record(
    *,
    key: str,
    kind: str,
    to: str | Iterable[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    secret: bool = False,
) -> OutgoingEmail:
    """Record one email to send after the current transaction commits.

    Render and translate before calling: the row holds the finished message,
    so a worker sends it as it was meant at the time of the change. A key
    already recorded returns the existing row and records nothing (whatever
    its status: a sent email is never sent again under the same key).

    Call inside the transaction of the change the email is about; outside one,
    the row is committed (and its send queued) at once.

    `secret`: the message holds a sign-in secret (a login code, a reset or
    confirmation link). The admin never shows its bodies, and they are
    erased once it is sent.

    Inside core.events.quiet() nothing is recorded, and the email returned is
    not saved."""
    if len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"An email key holds at most {KEY_MAX_LENGTH} characters: {key!r}")
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError(f"Email {key!r} has no recipient.")
    from_email = from_email or settings.DEFAULT_FROM_EMAIL
    headers = dict(headers or {})
    # One Message-ID for every attempt: should the one unavoidable duplicate
    # happen (see email_send), mail clients show it once.
    headers.setdefault("Message-ID", make_msgid(domain=_domain_of(from_email)))
    if secret:
        headers[SENSITIVE_HEADER] = "1"
    if is_quiet():
        logger.debug("email_muted", key=key, kind=kind)
        return OutgoingEmail(key=key, kind=kind, to=recipients, subject=_one_line(subject))
    with transaction.atomic():
        try:
            with transaction.atomic():
                email, created = OutgoingEmail.objects.get_or_create(
                    key=key,
                    defaults={
                        "kind": kind,
                        "to": recipients,
                        "from_email": from_email,
                        "subject": _one_line(subject),
                        "body_text": body_text,
                        "body_html": body_html,
                        "headers": headers,
                        "language": translation.get_language() or "",
                        "next_attempt_at": timezone.now() + _grace(),
                    },
                )
        except IntegrityError:
            # Recorded by a concurrent transaction that committed first.
            return OutgoingEmail.objects.get(key=key)
        if created:
            transaction.on_commit(partial(enqueue_email, email.pk), robust=True)
            logger.info("email_recorded", key=key, kind=kind, email_id=email.pk)
        return email


def email_record_message(
    *, key: str, kind: str, message: EmailMultiAlternatives, secret: bool = False
) -> OutgoingEmail:
    """Record an email another library rendered (allauth's adapter): its
    subject, bodies, sender, recipients and extra headers."""
    if message.cc or message.bcc or message.attachments:
        raise ValueError("The mail outbox records no Cc, Bcc or attachments.")
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ),
        "",
    )
    text = message.body
    if getattr(message, "content_subtype", "plain") == "html":
        text, html = "", message.body
    return email_record(
        key=key,
        kind=kind,
        to=list(message.to),
        subject=str(message.subject),
        body_text=text,
        body_html=html,
        from_email=message.from_email,
        headers={str(name): str(value) for name, value in message.extra_headers.items()},
        secret=secret,
    )


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def _one_line(subject: str) -> str:
    # A newline in a subject is a header injection; Django refuses to send it.
    return " ".join(str(subject).split())[:998]


def _grace() -> timedelta:
    """How long a new email waits for its on-commit send before the beat task
    treats it as due: the two never race for a fresh row."""
    return timedelta(seconds=settings.MAIL_RETRY_BASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped at an hour."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _claimable(now) -> Q:
    """Rows a sender may claim now: PENDING ones (new, queued by the beat
    task or retried by staff) at once; FAILED ones once their backoff has run
    out; a SENDING row once its sender's lease has expired (the sender died)."""
    return Q(status=Status.PENDING) | Q(
        status__in=[Status.FAILED, Status.SENDING], next_attempt_at__lte=now
    )


def email_send(*, email_id: int) -> bool:
    """Send one recorded email if it is due; returns whether it was sent now.

    Three steps, each its own short committed statement, and no transaction
    open while the mail server is talked to:

    1. Claim: one UPDATE marks the row SENDING with a fresh claim token and a
       lease (`next_attempt_at` = now + MAIL_SEND_LEASE_SECONDS) and counts
       the attempt. A concurrent sender's UPDATE matches nothing, so two
       workers never send the same row; a SENT row is never claimed again.
    2. Send over SMTP (or the configured backend), each socket operation
       bounded by MAIL_TIMEOUT, the whole task by its time limits.
    3. Mark SENT; on failure mark FAILED with a backoff (DEAD after
       MAIL_MAX_ATTEMPTS). A soft time limit hit while sending is a failure
       like any other: the row stays retryable.

    A worker killed between 1 and 3 leaves the row SENDING; once its lease
    expires the beat task finds it due and it is sent. The lease is longer
    than the send task's hard time limit, so a live sender is always done (or
    killed) before anyone else may claim its row.

    The one unavoidable window: the server has accepted the message (its 250
    after DATA) and the worker dies before step 3 commits. Nothing on this
    side can know the message went out, so it is sent again after the lease.
    The window is one UPDATE long (a failed QUIT after the 250 does not widen
    it), and both copies carry the same Message-ID, by which many mail
    systems show them as one."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = OutgoingEmail.objects.filter(_claimable(now), pk=email_id).update(
        status=Status.SENDING,
        claim_token=token,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS),
        updated_at=now,
    )
    if not claimed:
        return False
    email = OutgoingEmail.objects.get(pk=email_id)
    if email.attempts > settings.MAIL_MAX_ATTEMPTS:
        # Claimed that many times and never marked: each attempt killed its
        # worker. Stop before this one does too.
        _mark(email, token, status=Status.DEAD, last_error="Gave up: every attempt was killed.")
        logger.error("email_dead", key=email.key, attempts=email.attempts)
        return False
    try:
        _deliver(email)
    except Exception as exc:  # SMTP, DNS, backend, time limit: all "later"
        _mark_failed(email, token, error=traceback.format_exc(limit=10)[-10_000:])
        if isinstance(exc, SoftTimeLimitExceeded):
            raise
        return False
    try:
        _mark_sent(email, token)
    except SoftTimeLimitExceeded:
        # The message is out: record it with what time the hard limit leaves.
        _mark_sent(email, token)
        raise
    return True


def _deliver(email: OutgoingEmail) -> None:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=list(email.to),
        headers={k: v for k, v in email.headers.items() if k != SENSITIVE_HEADER},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    connection = mail.mailers.default
    if getattr(connection, "timeout", False) is None:
        # An SMTP mailer configured without a timeout would wait forever.
        connection.timeout = settings.MAIL_TIMEOUT
    try:
        connection.open()
        sent = connection.send_messages([message])
    except BaseException:
        _drop(connection)
        raise
    # Once the server has accepted the message, a failed goodbye (QUIT) must
    # not make it look unsent, and so be sent again.
    try:
        connection.close()
    except Exception as exc:  # noqa: BLE001 - logged, never a send failure
        logger.warning("email_close_failed", key=email.key, error=repr(exc))
    if not sent:
        raise RuntimeError("The mail backend sent nothing.")


def _drop(connection) -> None:
    """Close an SMTP mailer's sockets without a QUIT: after a timeout or a
    time limit the server is the problem, and a polite goodbye could wait on
    it again."""
    for attribute in ("connection", "_partial_connection"):
        smtp = getattr(connection, attribute, None)
        if isinstance(smtp, smtplib.SMTP):
            with contextlib.suppress(OSError):
                smtp.close()
            setattr(connection, attribute, None)


def _mark(email: OutgoingEmail, token: uuid.UUID, **fields) -> int:
    return OutgoingEmail.objects.filter(pk=email.pk, claim_token=token).update(
        claim_token=None, updated_at=timezone.now(), **fields
    )


def email_is_sensitive(email: OutgoingEmail) -> bool:
    return SENSITIVE_HEADER in (email.headers or {})


def _mark_sent(email: OutgoingEmail, token: uuid.UUID) -> None:
    now = timezone.now()
    fields = {"status": Status.SENT, "sent_at": now, "last_error": ""}
    if email_is_sensitive(email):
        fields |= {"body_text": "", "body_html": ""}
    if not _mark(email, token, **fields):
        # Only possible if this sender outlived its lease: the message is out
        # all the same.
        OutgoingEmail.objects.filter(pk=email.pk).update(claim_token=None, updated_at=now, **fields)
        logger.warning("email_sent_after_lease", key=email.key)
    logger.info("email_sent", key=email.key, attempts=email.attempts)


def _mark_failed(email: OutgoingEmail, token: uuid.UUID, *, error: str) -> None:
    if email.attempts >= settings.MAIL_MAX_ATTEMPTS:
        _mark(email, token, status=Status.DEAD, last_error=error)
        logger.error("email_dead", key=email.key, attempts=email.attempts)
        return
    _mark(
        email,
        token,
        status=Status.FAILED,
        last_error=error,
        next_attempt_at=timezone.now() + retry_delay(email.attempts),
    )
    logger.warning("email_failed", key=email.key, attempts=email.attempts)


def email_due_ids(*, limit: int = 200) -> list[int]:
    """Emails whose next attempt (or whose sender's lease) is due, most
    overdue first."""
    return list(
        OutgoingEmail.objects.filter(
            status__in=[Status.PENDING, Status.FAILED, Status.SENDING],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def email_send_due(*, limit: int = 200) -> int:
    """The beat task: hand every due email to a worker. Each queued email
    becomes PENDING with its next check a lease away, so the next tick does
    not queue it again while it waits in the queue (a sender that claims it
    first keeps its own lease: the update matches only rows still due).
    Stops at the first broker failure; returns how many were queued."""
    queued = 0
    for email_id in email_due_ids(limit=limit):
        if not enqueue_email(email_id, force=True):
            break
        now = timezone.now()
        OutgoingEmail.objects.filter(
            pk=email_id,
            status__in=[Status.PENDING, Status.FAILED, Status.SENDING],
            next_attempt_at__lte=now,
        ).update(
            status=Status.PENDING,
            claim_token=None,
            next_attempt_at=now + timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS),
            updated_at=now,
        )
        queued += 1
    return queued


@transaction.atomic
def emails_retry(*, emails: Iterable[OutgoingEmail]) -> int:
    """Staff action: give failed or dead emails a fresh set of attempts and
    send them now. A sent email, or one a sender holds, is left alone."""
    ids = [email.pk for email in emails]
    rows = OutgoingEmail.objects.select_for_update().filter(
        pk__in=ids, status__in=[Status.PENDING, Status.FAILED, Status.DEAD]
    )
    retried = list(rows.values_list("pk", flat=True))
    now = timezone.now()
    rows.update(status=Status.PENDING, attempts=0, next_attempt_at=now + _grace(), updated_at=now)
    for email_id in retried:
        transaction.on_commit(partial(enqueue_email, email_id), robust=True)
    return len(retried)


# After a broker failure, records skip the broker for a while and leave their
# emails to the beat task: a hung broker costs one request one timeout.
ENQUEUE_PAUSE_SECONDS = 10.0
_enqueue_paused_until = 0.0


def enqueue_email(email_id: int, *, force: bool = False) -> bool:
    """Hand one email to a worker. Never raises and never blocks for long: a
    broker that is down leaves the email to the beat task."""
    global _enqueue_paused_until
    from core.tasks import send_email

    if not force and time.monotonic() < _enqueue_paused_until:
        return False
    try:
        send_email.apply_async(args=[email_id], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "later"
        if isinstance(exc, OSError | KombuOperationalError):
            _enqueue_paused_until = time.monotonic() + ENQUEUE_PAUSE_SECONDS
        logger.warning("email_enqueue_failed", email_id=email_id, error=repr(exc))
        return False
    return True


def emails_prune(*, older_than_days: int | None = None) -> int:
    """Delete sent and dead emails last touched more than MAIL_KEEP_DAYS ago:
    they hold addresses, names and order details. (Their keys go with them;
    the events that could record them again are pruned sooner.)"""
    days = settings.MAIL_KEEP_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutgoingEmail.objects.filter(
        status__in=[Status.SENT, Status.DEAD], updated_at__lt=cutoff
    ).delete()
    if deleted:
        logger.info("emails_pruned", count=deleted, older_than_days=days)
    return deleted


@checks.register(checks.Tags.compatibility)
def check_send_lease(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The lease on a claimed email must outlast the send task's hard time
    limit, or a second worker could send it while the first still is."""
    from core.tasks import send_email

    if send_email.time_limit < settings.MAIL_SEND_LEASE_SECONDS:
        return []
    return [
        checks.Error(
            f"MAIL_SEND_LEASE_SECONDS ({settings.MAIL_SEND_LEASE_SECONDS}) must be longer "
            f"than the send task's hard time limit ({send_email.time_limit} s).",
            hint="Raise MAIL_SEND_LEASE_SECONDS or lower MAIL_SEND_SOFT_TIME_LIMIT.",
            id="core.E010",
        )
    ]
