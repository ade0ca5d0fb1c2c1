"""Production: every secret from the environment; passes `check --deploy`."""

from __future__ import annotations

from core.logconfig import configure_logging

from .base import *  # noqa: F403
from .base import LOG_LEVEL, MAIL_TIMEOUT, MAILERS, PG_CONNECTION_OPTIONS, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS]
)
# Links in emails: https on the first named host unless set; with only
# wildcard hosts there is no name to guess, so the variable is required.
_NAMED_HOSTS = [h for h in ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
KAMPUNG_BASE_URL = (
    env.str("KAMPUNG_BASE_URL", default=f"https://{_NAMED_HOSTS[0]}")
    if _NAMED_HOSTS
    else env.str("KAMPUNG_BASE_URL")
)
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_CONNECTION_OPTIONS

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The language choice travels only over https and is no script's business.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail: SMTP from EMAIL_URL (smtp+tls://user:pass@host:587), or an anymail
# backend named in EMAIL_BACKEND_PATH with its options in the environment.
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
}
_EMAIL_BACKEND = env.str("EMAIL_BACKEND_PATH", default=_email["EMAIL_BACKEND"])
_SMTP = _EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
MAILERS = {
    **MAILERS,
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        # The SMTP mailer reads no EMAIL_* setting: without "timeout" it would
        # wait forever on a mail server that never answers.
        "OPTIONS": (
            {option: _email[key] for key, option in _SMTP_OPTIONS.items() if key in _email}
            | {"timeout": MAIL_TIMEOUT}
            if _SMTP
            else {}
        ),
    },
}
# Payments: bank transfer only unless the shop configures gateways. The test
# card gateway accepts made-up card numbers; a demo shop may list it in
# SHOP_PAYMENT_GATEWAYS, with a SHOP_TEST_GATEWAY_SECRET of its own (a deploy
# check refuses it otherwise).
SHOP_PAYMENT_GATEWAYS = env.list(
    "SHOP_PAYMENT_GATEWAYS", default=["shop.payments.bank_transfer.BankTransferGateway"]
)
SHOP_TEST_GATEWAY_SECRET = env.str("SHOP_TEST_GATEWAY_SECRET", default="")

LOGGING = configure_logging(json=env.bool("LOG_JSON", default=True), level=LOG_LEVEL)
