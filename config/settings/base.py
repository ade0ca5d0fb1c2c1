"""Settings shared by every environment. Values come from the environment
(django-environ) with safe local defaults; see README.md for the variables."""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("KAMPUNG_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# How many proxies in front of the site append to X-Forwarded-For (the TLS
# proxy: 1). Rate limits and lockouts see the client's address only when this
# is right; 0 (no proxy) uses REMOTE_ADDR and ignores the header, which any
# client can forge. One value for allauth, axes, the API throttle and the shop.
KAMPUNG_TRUSTED_PROXIES = env.int("KAMPUNG_TRUSTED_PROXIES", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = KAMPUNG_TRUSTED_PROXIES
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_ID = 1
SITE_NAME = env.str("KAMPUNG_SITE_NAME", default="Kampung")
# Where the site is reached from outside: links in emails start with it.
# Locally it follows the port `make run` serves on (KAMPUNG_PORT, which
# scripts/dev.py passes to the web server, the worker and beat).
KAMPUNG_BASE_URL = env.str(
    "KAMPUNG_BASE_URL", default=f"http://127.0.0.1:{env.str('KAMPUNG_PORT', default='8000')}"
)

# --- Applications -------------------------------------------------------------
DJANGO_APPS = [
    # Before the admin: it patches the admin for translated catalogue fields.
    "modeltranslation",
    "accounts.admin_config.KampungAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.mfa",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_structlog",
    "treebeard",
    "taggit",
]
LOCAL_APPS = [
    "core",
    "accounts",
    "shop",
    "community",
    "loyalty",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.middleware.PrivateResponseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "loyalty.middleware.LoyaltyMiddleware",
    # Axes must be last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "core.context_processors.notifications",
                "shop.context_processors.cart",
            ],
        },
    }
]

# --- Data ---------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kampung.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/: `manage.py migrate` (without make) must work.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL + IMMEDIATE transactions let the web process and the Celery worker
    # write to one SQLite file without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Search's typo tolerance (shop.selectors.TRIGRAM_CONNECTION_OPTION): set once
# per connection instead of once per search.
PG_CONNECTION_OPTIONS = "-c pg_trgm.strict_word_similarity_threshold=0.3"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_CONNECTION_OPTIONS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")


def redis_cache(url: str) -> dict:
    """The cache is a cache: a Redis that is down or hangs costs a request at
    most one short timeout (the circuit breaker then skips it for a few
    seconds) and reads as a miss; pages render without it, sessions fall back
    to the database, rate limits count nothing until it is back
    (core/cachebackend.py)."""
    return {
        "BACKEND": "core.cachebackend.ResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CACHE_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_CACHE_TIMEOUT", default=0.5),
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    # File cache: shared by every local process (rate limits, axes), no server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth and accounts (django-allauth) ---------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# A staff session ends after this long without a request; members keep theirs.
STAFF_IDLE_TIMEOUT_SECONDS = env.int("KAMPUNG_STAFF_IDLE_MINUTES", default=30) * 60
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Browsing and buying work before the address is verified; posting community
# content and redeeming points require it (accounts.permissions).
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Sign-up and password reset answer alike whether or not the address has an
# account (accounts.forms.SignupForm sends its owner a mail instead).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they are visibly on.
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
# Failed logins for one account from browsers that never signed in to it,
# counted across every address (accounts.lockout: known devices).
ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED = env.str(
    "ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED", default="20/h/key"
)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# One 30-second step either side (RFC 6238 5.2): a code typed as its step
# turns, or on a phone whose clock drifts, is still accepted; a used code is
# still refused (allauth remembers it for the whole window).
MFA_TOTP_TOLERANCE = 1
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False


def _social_providers() -> dict:
    """Social login providers switched on by their client id in the environment."""
    providers = {}
    for provider, prefix in (("google", "GOOGLE"), ("github", "GITHUB")):
        client_id = env.str(f"SOCIAL_{prefix}_CLIENT_ID", default="")
        if client_id:
            providers[provider] = {
                "APPS": [
                    {
                        "client_id": client_id,
                        "secret": env.str(f"SOCIAL_{prefix}_SECRET", default=""),
                        "key": "",
                    }
                ],
                "SCOPE": ["profile", "email"] if provider == "google" else ["user:email"],
                "VERIFIED_EMAIL": provider == "google",
            }
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()

# django-axes guards every password log-in, the admin's included.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
# Catalogue content (shop/translation.py): English is the language every
# product has; an empty translation shows the English text.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True
# Off: with it, every integer in a template is grouped, so ids in form values
# and data attributes became "1,112" once they passed 999. Money and counts
# shown to people are grouped explicitly (core.money uses force_grouping).
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["config.formats"]
STORE_CURRENCY = env.str("KAMPUNG_CURRENCY", default="IDR")

# --- Shop ---------------------------------------------------------------------
SHOP_PAYMENT_GATEWAYS = env.list(
    "SHOP_PAYMENT_GATEWAYS",
    default=[
        "shop.payments.bank_transfer.BankTransferGateway",
        "shop.payments.test_card.TestCardGateway",
    ],
)
SHOP_TAX_RATE = env.str("SHOP_TAX_RATE", default="0.11")  # PPN
SHOP_PRICES_INCLUDE_TAX = env.bool("SHOP_PRICES_INCLUDE_TAX", default=True)
SHOP_TEST_GATEWAY_SECRET = env.str("SHOP_TEST_GATEWAY_SECRET", default="test-gateway-secret")
# Days a guest order's emailed link opens the order (signed in, the owner
# sees it under "Your orders" whatever the link's age).
SHOP_ORDER_LINK_MAX_AGE_DAYS = env.int("SHOP_ORDER_LINK_MAX_AGE_DAYS", default=90)
# Days a back-in-stock alert's confirmation link works (shop.services.wishlist).
SHOP_STOCK_ALERT_CONFIRM_DAYS = 7
# What a visitor can aim at someone else's address, per client address and
# per email (shop.ratelimit; N/s, N/m, N/h or N/d). Fails open without a cache.
SHOP_RATE_LIMITS = {
    "stock_alert_ip": env.str("SHOP_STOCK_ALERT_RATE_IP", default="20/h"),
    "stock_alert_email": env.str("SHOP_STOCK_ALERT_RATE_EMAIL", default="3/d"),
    "guest_checkout_ip": env.str("SHOP_GUEST_CHECKOUT_RATE_IP", default="20/h"),
    "guest_checkout_email": env.str("SHOP_GUEST_CHECKOUT_RATE_EMAIL", default="10/h"),
}
SHOP_BANK_ACCOUNT = {
    "bank": env.str("SHOP_BANK_NAME", default="Bank Central Asia"),
    "account_name": env.str("SHOP_BANK_ACCOUNT_NAME", default="PT Toko Kampung"),
    "account_number": env.str("SHOP_BANK_ACCOUNT_NUMBER", default="123 456 7890"),
}

# --- Static and media ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_242_880
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_PIXELS = 4096 * 4096
# Review photos (community): checked from the upload and its header before
# decoding, then re-encoded (EXIF dropped).
REVIEW_PHOTO_MAX_BYTES = env.int("REVIEW_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
REVIEW_PHOTO_MAX_PIXELS = env.int("REVIEW_PHOTO_MAX_PIXELS", default=40_000_000)
# Days after delivery before the review-request email; its links' lifetime.
REVIEW_REQUEST_DAYS = env.int("REVIEW_REQUEST_DAYS", default=7)
REVIEW_LINK_MAX_AGE_DAYS = env.int("REVIEW_LINK_MAX_AGE_DAYS", default=60)
AVATAR_SIZE = 256

# --- Mail ---------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Kampung <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS = {
    "default": {
        "BACKEND": "core.mail.FileAndConsoleEmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
    }
}
# Every email goes through the mail outbox (core/mailer.py): recorded with the
# change it is about, sent by its own task. MAIL_TIMEOUT: seconds an SMTP
# socket operation may wait (Django's SMTP mailer otherwise waits forever).
# production.py passes it to the SMTP mailer's OPTIONS, core.mailer to any
# mailer left without one. (Django 6.1 refuses an EMAIL_TIMEOUT setting next to
# MAILERS; the environment variable keeps the familiar name.)
MAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_RETRY_BASE_SECONDS = env.float("MAIL_RETRY_BASE_SECONDS", default=60.0)
# One send task's time limits, and the lease a sender holds on its email: the
# lease outlasts the hard limit, so no second sender starts while the first
# may still be talking to the mail server.
MAIL_SEND_SOFT_TIME_LIMIT = env.int("MAIL_SEND_SOFT_TIME_LIMIT", default=60)
MAIL_SEND_LEASE_SECONDS = env.int("MAIL_SEND_LEASE_SECONDS", default=120)
# Sent and dead emails are deleted after this many days (they hold addresses).
MAIL_KEEP_DAYS = env.int("MAIL_KEEP_DAYS", default=90)

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (Redis when configured) and written through
# to the database: a visitor with a cart costs no session query per page.
# core.sessions is Django's cached_db that drops the cached copies a cache
# outage left stale, once the cache answers again.
SESSION_ENGINE = "core.sessions"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"writes": env.str("API_WRITE_RATE", default="60/min")},
    "NUM_PROXIES": KAMPUNG_TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kampung API",
    "DESCRIPTION": "Shop, community and loyalty behind one account.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" with its own choices: each gets a name.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "shop.models.orders.Order.Status",
    },
    # The error answers every operation can give (401, 404, 400, 415, 429).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.postprocess",
    ],
}

# --- Celery and the event outbox ----------------------------------------------
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
if not REDIS_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded broker's file lives there
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses its broker reconnects, forever, on its own (None: no
# limit); the outbox relay then re-sends what a lost queue held. Tasks it was
# running when the connection went are cancelled, not acknowledged: acks_late
# redelivers them and every handler is idempotent.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# No task may run forever (a hung mail server, a stuck query): the soft limit
# raises SoftTimeLimitExceeded inside the task, which then rolls back and stays
# retryable; the hard limit kills the child process. Tasks may set shorter ones.
# Celery 5.7 puts the queuing process's limits in each message and the worker
# obeys them: web, beat and worker must run with the same settings.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A publish must never hold a web request: bounded connect and send, no retry
# loop. The outbox relay delivers whatever could not be sent.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# interval_start=0: the one connection retry is immediate, not after kombu's
# default two-second sleep (which a refused connection otherwise costs).
# visibility_timeout: an unacknowledged (acks_late) task is handed out again
# after an hour, well past CELERY_TASK_TIME_LIMIT, so no task runs twice at
# once. health_check_interval: a connection idle that long is PINGed before
# use, so a broker that restarted is noticed before a command is lost on it.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "socket_keepalive": True,
    "health_check_interval": 10,
    "max_retries": 1,
    "interval_start": 0,
}
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS if REDIS_URL else {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "config.celery_app:Scheduler"
OUTBOX_RELAY_INTERVAL = env.float("OUTBOX_RELAY_INTERVAL", default=30.0)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
# How long a claimed delivery, or an event the relay handed to the broker, is
# left alone before it is tried again (a worker that died mid-handler). Longer
# than a task's hard time limit, so no second worker starts while one may run.
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=420.0)
# Events per relay task (core.tasks.deliver_events), each delivery still in a
# transaction of its own.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# false: publish() queues no task per event; the relay (every
# OUTBOX_RELAY_INTERVAL seconds, e.g. 1) sends new events in batches. For high
# volume: one message per event costs a worker more than delivering it.
OUTBOX_ENQUEUE_ON_PUBLISH = env.bool("OUTBOX_ENQUEUE_ON_PUBLISH", default=True)
# false: delivery transactions skip the WAL flush wait (about 2x the
# throughput here, bench/README.md); a database crash may then replay the
# last moment's deliveries, so leave it on unless handlers can bear that.
OUTBOX_SYNCHRONOUS_COMMIT = env.bool("OUTBOX_SYNCHRONOUS_COMMIT", default=True)
# First attempts are committed this many at a time, each handler in its own
# savepoint (core.services._attempt_group); 1 commits every delivery alone.
OUTBOX_COMMIT_GROUP = env.int("OUTBOX_COMMIT_GROUP", default=20)
# Delivered events are deleted after this many days (their payloads hold
# shoppers' data); pending and dead ones are kept.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=14)
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": OUTBOX_RELAY_INTERVAL,
    },
    "prune-outbox": {
        "task": "core.tasks.prune_outbox",
        "schedule": 3600.0,
    },
    "send-due-emails": {
        "task": "core.tasks.send_due_emails",
        "schedule": env.float("MAIL_RELAY_INTERVAL", default=30.0),
    },
    "prune-emails": {"task": "core.tasks.prune_emails", "schedule": 3600.0},
    "flush-product-view-counts": {
        "task": "shop.viewcounts.flush_product_view_counts",
        "schedule": 60.0,
    },
    "expire-unpaid-orders": {
        "task": "shop.tasks.expire_unpaid_orders",
        "schedule": 60.0,
    },
    # Hourly; each member's digest goes out once a day, at the first run
    # from NOTIFICATION_DIGEST_HOUR (local time) on.
    "send-notification-digests": {
        "task": "core.tasks.send_notification_digests",
        "schedule": 3600.0,
    },
    "send-review-requests": {
        "task": "community.tasks.send_review_requests",
        "schedule": 3600.0,
    },
    # Daily; a badge is given once, so a run that finds nothing new is cheap.
    "give-member-days-badges": {
        "task": "loyalty.tasks.give_member_days_badges",
        "schedule": 86400.0,
    },
    "give-leaderboard-badges": {
        "task": "loyalty.tasks.give_leaderboard_badges",
        "schedule": 86400.0,
    },
    # The ledger is the source of truth; this puts Redis's boards right.
    "rebuild-leaderboards": {
        "task": "loyalty.tasks.rebuild_leaderboards",
        "schedule": env.float("LEADERBOARD_REBUILD_INTERVAL", default=600.0),
    },
    "prune-board-scores": {"task": "loyalty.tasks.prune_board_scores", "schedule": 86400.0},
    "expire-tiers": {"task": "loyalty.tasks.expire_tiers", "schedule": 86400.0},
    # Daily; a member is reminded once per idle spell and their points
    # expire once, so a repeated or missed run changes nothing.
    "remind-expiring-points": {
        "task": "loyalty.tasks.remind_expiring_points",
        "schedule": 86400.0,
    },
    "expire-points": {"task": "loyalty.tasks.expire_points", "schedule": 86400.0},
    "release-due-points": {
        "task": "loyalty.tasks.release_due_points",
        "schedule": 3600.0,
    },
    # Hourly and idempotent (once a year per member), so a missed run is caught up.
    "award-birthdays": {
        "task": "loyalty.tasks.award_birthdays",
        "schedule": 3600.0,
    },
    "notify-early-access": {
        "task": "loyalty.tasks.notify_early_access",
        "schedule": 600.0,
    },
    # Bounties past their deadline paid to the top-voted answer or refunded.
    "settle-due-bounties": {
        "task": "loyalty.tasks.settle_due_bounties",
        "schedule": 600.0,
    },
}
NOTIFICATION_DIGEST_HOUR = env.int("NOTIFICATION_DIGEST_HOUR", default=7)

# --- Logging (structlog) ------------------------------------------------------
LOG_JSON = env.bool("LOG_JSON", default=False)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")

from core.logconfig import configure_logging  # noqa: E402

LOGGING = configure_logging(json=LOG_JSON, level=LOG_LEVEL)
# Each cache failure django-redis ignores is logged (not each call the
# circuit breaker then fails fast).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "kampung.cache.ignored"
LOGGING.setdefault("filters", {})["skip_circuit_open"] = {"()": "core.cachebackend.SkipCircuitOpen"}
LOGGING["loggers"][DJANGO_REDIS_LOGGER] = {"filters": ["skip_circuit_open"]}

# --- Page cache (core/pagecache.py) -------------------------------------------
# Seconds a page rendered for a cookieless visitor may be served to the next
# one; writes to the catalogue orphan such pages at once. 0 turns it off.
PAGE_CACHE_SECONDS = env.int("KAMPUNG_PAGE_CACHE_SECONDS", default=300)
