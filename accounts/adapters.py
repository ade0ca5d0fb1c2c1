from __future__ import annotations

import time
import uuid

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core.internal import ratelimit as ratelimit_impl
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts import lockout
from accounts.models import User
from accounts.network import client_ip
from core.mailer import email_record_message

EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


def _login_of(credentials: dict) -> str:
    value = credentials.get("email") or credentials.get("username") or ""
    return value.strip().lower() if isinstance(value, str) else ""


class _MailSite:
    """What allauth's mail templates read as `current_site`: the configured
    site name and the host the request came in on. Independent of the Site
    row, which Django re-creates as "example.com" whenever the table is
    emptied (a flushed test database, a fresh install before migrations)."""

    def __init__(self, request) -> None:
        self.name = settings.SITE_NAME
        self.domain = request.get_host() if request is not None else settings.ALLOWED_HOSTS[0]

    def __str__(self) -> str:
        return self.name


def _mail_key(name: str, email: str, context: dict) -> str:
    """The mail outbox key of one allauth message: the same code, link or
    confirmation key to the same address is one email (a form posted twice);
    a message without one (a notification) is always a new email. Secrets
    appear in the key only as an HMAC."""
    token = next((str(context[k]) for k in _MAIL_TOKENS if context.get(k)), None)
    digest = salted_hmac(
        "accounts.mail-key", f"{email}\n{token}" if token else uuid.uuid4().hex
    ).hexdigest()[:32]
    key = f"account:{name}:{email}:{digest}"
    return key if len(key) <= 255 else f"account:{name}:{digest}"


_MAIL_TOKENS = ("code", "key", "password_reset_url", "activate_url")


# Log-in records (allauth's, in the session) a fresh log-in is read from.
LOGIN_METHODS = frozenset({"password", "code"})


def staff_logged_in_recently_without_mfa(request) -> bool:
    """A staff member with no second factor yet, who logged in to this session
    (password or emailed code) less than ACCOUNT_REAUTHENTICATION_TIMEOUT ago."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff or is_mfa_enabled(user):
        return False
    logins = [
        record.get("at")
        for record in get_authentication_records(request, user)
        if record.get("method") in LOGIN_METHODS and not record.get("reauthenticated")
    ]
    logins = [at for at in logins if isinstance(at, int | float)]
    timeout = allauth_account_settings.REAUTHENTICATION_TIMEOUT
    return bool(logins) and 0 <= time.time() - max(logins) < timeout


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Rendered now (in the request's language) and recorded in the mail
        outbox; its own task sends it as soon as the request's transaction
        commits (at once outside one). A sign-up or login-code request never
        waits on the mail server."""
        from allauth.core import context as allauth_context

        request = getattr(allauth_context, "request", None)
        context = {
            "request": request,
            "email": email,
            "current_site": _MailSite(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        name = template_prefix.rsplit("/", 1)[-1]
        email_record_message(
            key=_mail_key(name, email, context),
            kind=f"account.{name}",
            message=message,
            secret=True,
        )

    def get_client_ip(self, request) -> str:
        """The rate limits' idea of the client: accounts.network's rule, the one
        axes and the API throttle use (allauth's own raises a server error
        when X-Forwarded-For has fewer hops than the trusted proxies)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of allauth's per-account failed-login limit ("5/5m/key"),
        scoped to the client address: an account's failures from one address
        slow that address down, so a stranger's wrong passwords cannot lock
        the owner out from theirs. Guessing is bounded per address by this,
        allauth's per-IP limit and axes' (address, account) lockout. A
        password reset clears the key for the address it is done from."""
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}:{client_ip(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        """allauth's limits (per address, per address and account), then the
        account-wide limit for browsers not known for this account
        (accounts.lockout). Counted only when allauth's pass, and rolled back
        with them on a successful sign-in."""
        super().pre_authenticate(request, **credentials)
        login = _login_of(credentials)
        if not login or lockout.device_known_for(request, login):
            return
        usage = ratelimit_impl.consume(
            request,
            app="allauth.account",
            action=lockout.UNKNOWN_DEVICE_ACTION,
            config=lockout.unknown_device_rates(),
            key=self._account_key(request, login),
        )
        if usage is None:
            raise self.validation_error("too_many_login_attempts")
        self._login_failed_rl_usage.usage.extend(usage.usage)

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        """A successful password reset also clears the account-wide limit."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        login = _login_of(credentials)
        if login:
            ratelimit_impl.clear(
                request,
                app="allauth.account",
                action=lockout.UNKNOWN_DEVICE_ACTION,
                config=lockout.unknown_device_rates(),
                key=self._account_key(request, login),
            )

    @staticmethod
    def _account_key(request, login: str) -> str:
        return f"account:{login}"

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        lockout.device_remember(request, response, user.email)
        return response

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before two-factor settings
        change, however recent the log-in. A staff member who has no second
        factor yet is sent to set one up right after logging in (the admin
        requires it): a log-in of this session within
        ACCOUNT_REAUTHENTICATION_TIMEOUT counts as that confirmation. An older
        log-in still asks, and anyone with a second factor is asked as before."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        if not required or app != "allauth.mfa":
            return required
        from allauth.core import context as allauth_context

        request = self.request or getattr(allauth_context, "request", None)
        return not (request is not None and staff_logged_in_recently_without_mfa(request))

    def is_open_for_signup(self, request) -> bool:
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email).lower()
        # Django's EmailValidator accepts up to 320 characters; the column holds
        # fewer, and PostgreSQL would refuse the INSERT with a server error.
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError(
                _("Use an email address of at most %(limit)s characters.")
                % {"limit": EMAIL_MAX_LENGTH},
                code="email_too_long",
            )
        return email


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        if name and not user.display_name:
            user.display_name = name[:60]
        return user
