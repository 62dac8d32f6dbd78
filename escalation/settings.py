"""Django settings for escalation, read only from environment variables.

With nothing set, the embedded default runs: SQLite (WAL) and a file-system Celery broker
under ``var/``. See README "Configuration" for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from foundation import config

ENV = os.environ
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(config.env_str(ENV, "VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)

PRODUCTION = config.env_bool(ENV, "ESCALATION_PRODUCTION", False)
DEBUG = config.env_bool(ENV, "DEBUG", False)
SECRET_KEY = config.secret_key(ENV, VAR_DIR, production=PRODUCTION and not DEBUG)
ALLOWED_HOSTS = config.env_list(ENV, "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list(ENV, "CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    # The layers, bottom up (README "Architecture"; import-linter enforces the order):
    "foundation",  # platform: config, cache, roles, sign-in guard, events, outbox, heartbeats
    "tickets",  # customers, tickets, interactions, intake, triage
    "agents",  # teams, skills, availability, routing
    "escalation_engine",  # SLA clocks, escalation signals, rules, sweep, incidents (app label "escalation")
    "helpcenter",  # articles, deflection, auto-replies
    "analytics",  # satisfaction, rollups, dashboards
    "notifications",  # agents' notifications (the bell) and e-mail preferences
    "pipeline",  # a new ticket's steps; every event's listeners
    "privacy",  # customers' data exports and erasures (reaches every table below)
    "imports",  # history from another help desk (beside the pipeline: it writes history, runs no step)
    "console",  # the staff console
    "demo",  # demo data
    "portal",  # the customer portal: sign-in by e-mailed link, the customer's own tickets
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "foundation.middleware.SecurityHeadersMiddleware",
    "foundation.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "escalation.urls"
WSGI_APPLICATION = "escalation.wsgi.application"
ASGI_APPLICATION = "escalation.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.role",
            ],
        },
    },
]

DATABASES = {"default": config.database_settings(ENV, VAR_DIR)}
# Optional read replica for the dashboards' rollup reads (see escalation/db_router.py).
if config.env_str(ENV, "DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **config.database_settings({**ENV, "DATABASE_URL": config.env_str(ENV, "DATABASE_REPLICA_URL")}, VAR_DIR),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["foundation.db_router.DashboardReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = config.cache_settings(ENV, VAR_DIR)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The stock model backend, with permission sets cached per process (escalation/auth_backend.py).
AUTHENTICATION_BACKENDS = ["foundation.auth_backend.CachedPermissionBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The languages automatic mail to customers is written in (foundation/customer_mail.py); the
# staff console stays in English. Translations: locale/<code>/LC_MESSAGES/django.po (+ .mo).
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français"), ("pt", "Português")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = config.env_str(ENV, "TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security headers; the HTTPS ones only when the deployment says it terminates TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL = config.env_bool(ENV, "SECURE_SSL", False)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = config.env_int(ENV, "SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool(ENV, "SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = config.env_bool(ENV, "SECURE_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# E-mail (outgoing replies, notifications, surveys).
EMAIL_BACKEND = config.env_str(
    ENV,
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if ENV.get("EMAIL_HOST") else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "outbox"
EMAIL_HOST = config.env_str(ENV, "EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int(ENV, "EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = config.env_str(ENV, "EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = config.env_str(ENV, "EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = config.env_bool(ENV, "EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = config.env_int(ENV, "EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = config.env_str(ENV, "DEFAULT_FROM_EMAIL", "support@escalation.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a real worker and beat in every mode; eager execution only inside unit tests.
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = config.broker_settings(ENV, VAR_DIR)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must not hold a request hostage when the broker is down: the ticket is already
# committed and the recovery sweep (tickets.triage_untriaged) enqueues it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {"task": "escalation.scheduler_heartbeat", "schedule": timedelta(seconds=15)},
    "triage-recovery": {"task": "tickets.triage_untriaged", "schedule": timedelta(seconds=60)},
    "triage-retrain": {"task": "tickets.retrain_classifier", "schedule": timedelta(hours=24)},
    "route-waiting": {"task": "agents.route_waiting", "schedule": timedelta(seconds=60)},
    "escalation-sweep": {"task": "escalation.sweep", "schedule": timedelta(seconds=60)},
    "breach-forecast": {"task": "escalation.forecast_breaches", "schedule": timedelta(seconds=60)},
    "breach-forecast-calibration": {"task": "escalation.fit_forecast_calibration", "schedule": timedelta(hours=24)},
    "outbox-resend": {"task": "foundation.resend_outbox", "schedule": timedelta(minutes=5)},
    "analytics-rollups": {"task": "analytics.refresh_rollups", "schedule": timedelta(minutes=5)},
    "analytics-churn": {"task": "analytics.score_churn", "schedule": timedelta(hours=1)},
    "analytics-satisfaction-model": {"task": "analytics.train_satisfaction_model", "schedule": timedelta(hours=1)},
    "auto-close": {"task": "escalation.auto_close", "schedule": timedelta(minutes=15)},
    "whatif-fail-silent": {"task": "escalation.whatif_fail_silent", "schedule": timedelta(minutes=10)},
}

# Triage: where trained classifier files live (share it between worker hosts, e.g. NFS).
TRIAGE_MODEL_DIR = Path(config.env_str(ENV, "TRIAGE_MODEL_DIR") or VAR_DIR / "models")
# The learning loop (tickets/learning_service.py, nightly beat task and `train_classifier --from-desk`):
# human category labels needed to train, held-out ones needed to judge (fewer: no new version),
# held-out priority labels needed before priority counts in the promotion, and the model kind.
TRIAGE_RETRAIN_MIN_LABELS = config.env_int(ENV, "TRIAGE_RETRAIN_MIN_LABELS", 50, minimum=1)
TRIAGE_RETRAIN_MIN_HOLDOUT = config.env_int(ENV, "TRIAGE_RETRAIN_MIN_HOLDOUT", 20, minimum=1)
TRIAGE_RETRAIN_MIN_PRIORITY_HOLDOUT = config.env_int(ENV, "TRIAGE_RETRAIN_MIN_PRIORITY_HOLDOUT", 10, minimum=1)
TRIAGE_RETRAIN_KIND = config.env_str(ENV, "TRIAGE_RETRAIN_KIND", "tfidf")
if TRIAGE_RETRAIN_KIND not in {"tfidf", "hybrid", "auto"}:
    raise ImproperlyConfigured(f"TRIAGE_RETRAIN_KIND must be tfidf, hybrid or auto, not {TRIAGE_RETRAIN_KIND!r}")
# Largest accepted attachment and request body.
MAX_ATTACHMENT_BYTES = config.env_int(ENV, "MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=0)
# Refused on top of the built-in list of executables and scripts (tickets/attachments.py).
ATTACHMENT_BLOCKED_EXTENSIONS = ["." + e.lower().lstrip(".") for e in config.env_list(ENV, "ATTACHMENT_BLOCKED_EXTENSIONS", [])]
DATA_UPLOAD_MAX_MEMORY_SIZE = config.env_int(ENV, "MAX_REQUEST_BYTES", 25 * 1024 * 1024, minimum=1024)
# Webhook sources and their HMAC secrets: "crm:secret1,shop:secret2" (secrets only from the environment).
WEBHOOK_SECRETS = dict(item.split(":", 1) for item in config.env_list(ENV, "WEBHOOK_SECRETS", []) if ":" in item)
WEBHOOK_MAX_AGE_SECONDS = config.env_int(ENV, "WEBHOOK_MAX_AGE_SECONDS", 300, minimum=1)
# Inbound mail: the authserv-ids of our own relays, whose Authentication-Results we believe
# (e.g. "mx.example.com"). A "Re: [#123]" subject alone threads onto #123 only when one of
# them reports dmarc=pass for the sender's domain; empty trusts no such header.
MAIL_TRUSTED_AUTHSERV_IDS = frozenset(item.lower() for item in config.env_list(ENV, "MAIL_TRUSTED_AUTHSERV_IDS", []))
# The desk's other addresses (aliases, the polled mailboxes' addresses): never kept as a ticket's followers.
MAIL_DESK_ADDRESSES = frozenset(item.lower() for item in config.env_list(ENV, "MAIL_DESK_ADDRESSES", []))
# Loop protection: more inbound mails than this from one sender in a minute are stored but get no automatic mail.
MAIL_SENDER_RATE_PER_MINUTE = config.env_int(ENV, "MAIL_SENDER_RATE_PER_MINUTE", 5, minimum=1)
# Polled IMAP mailboxes from the environment (besides those in admin): IMAP_URL, and IMAP_URLS separated by spaces,
# each imaps://user:password@host[:port]/FOLDER (imap:// plain, imap+starttls:// upgraded); password URL-encoded.
IMAP_URLS = tuple(([ENV["IMAP_URL"].strip()] if ENV.get("IMAP_URL", "").strip() else []) + ENV.get("IMAP_URLS", "").split())
IMAP_POLL_SECONDS = config.env_float(ENV, "IMAP_POLL_SECONDS", 60.0)
# A poller holds a mailbox this long past its last message; a killed worker's lease runs out by then.
IMAP_LEASE_SECONDS = config.env_int(ENV, "IMAP_LEASE_SECONDS", 90, minimum=1)
IMAP_TIMEOUT_SECONDS = config.env_int(ENV, "IMAP_TIMEOUT_SECONDS", 30, minimum=1)
IMAP_BATCH = config.env_int(ENV, "IMAP_BATCH", 200, minimum=1)
# Beat polls every mailbox; polls stuck behind a busy queue expire instead of piling up (and each
# mailbox has one poller at a time anyway, see tickets/mailboxes.py).
CELERY_BEAT_SCHEDULE["mail-poll"] = {
    "task": "tickets.poll_mailboxes",
    "schedule": timedelta(seconds=IMAP_POLL_SECONDS),
    "options": {"expires": max(60.0, 5 * IMAP_POLL_SECONDS)},
}
# Public web form: submissions per client address.
WEB_FORM_RATE_PER_MINUTE = config.env_int(ENV, "WEB_FORM_RATE_PER_MINUTE", 5, minimum=1)
WEB_FORM_RATE_PER_HOUR = config.env_int(ENV, "WEB_FORM_RATE_PER_HOUR", 30, minimum=1)
# Article suggestions while a customer types (debounced in the browser): a search each.
SUGGEST_RATE_PER_MINUTE = config.env_int(ENV, "SUGGEST_RATE_PER_MINUTE", 60, minimum=1)
# Sign-in lockout: failed passwords per account name / per address within the lockout window.
LOGIN_FAILURE_LIMIT = config.env_int(ENV, "LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = config.env_int(ENV, "LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
LOGIN_LOCKOUT_SECONDS = config.env_int(ENV, "LOGIN_LOCKOUT_SECONDS", 900, minimum=1)

# Links in e-mails to customers (surveys) point here.
PUBLIC_BASE_URL = config.env_str(ENV, "PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Self-service: the ticket status link in every e-mail, and how long an auto-reply can be answered.
STATUS_LINK_MAX_AGE_DAYS = config.env_int(ENV, "STATUS_LINK_MAX_AGE_DAYS", 30, minimum=1)
AUTO_REPLY_ANSWER_HOURS = config.env_int(ENV, "AUTO_REPLY_ANSWER_HOURS", 72, minimum=1)
# New tickets from these channels get an acknowledgement in the customer's language (empty: none).
ACKNOWLEDGE_CHANNELS = config.env_list(ENV, "ACKNOWLEDGE_CHANNELS", ["email", "web_form"])
# CSAT: survey links expire after this many days; a rating at or below the threshold is followed up.
CSAT_LINK_MAX_AGE_DAYS = config.env_int(ENV, "CSAT_LINK_MAX_AGE_DAYS", 14, minimum=1)
CSAT_FOLLOW_UP_AT_OR_BELOW = config.env_int(ENV, "CSAT_FOLLOW_UP_AT_OR_BELOW", 2, minimum=0)
# Customer portal: sign-in links by e-mail (single use) expire after this many minutes; a portal
# session lasts this many hours; link requests per address and per client address per hour;
# portal replies per customer per hour.
PORTAL_LINK_MAX_AGE_MINUTES = config.env_int(ENV, "PORTAL_LINK_MAX_AGE_MINUTES", 30, minimum=1)
PORTAL_SESSION_HOURS = config.env_int(ENV, "PORTAL_SESSION_HOURS", 12, minimum=1)
PORTAL_LINK_RATE_PER_ADDRESS = config.env_int(ENV, "PORTAL_LINK_RATE_PER_ADDRESS", 3, minimum=1)
PORTAL_LINK_RATE_PER_CLIENT = config.env_int(ENV, "PORTAL_LINK_RATE_PER_CLIENT", 20, minimum=1)
PORTAL_REPLIES_PER_HOUR = config.env_int(ENV, "PORTAL_REPLIES_PER_HOUR", 20, minimum=1)
# Satisfaction prediction switches from the documented rule to a trained model at this many answers.
CSAT_MODEL_MIN_ANSWERS = config.env_int(ENV, "CSAT_MODEL_MIN_ANSWERS", 200, minimum=10)

# Routing: the desk's default business hours (weekdays, local TIME_ZONE) and what going offline does.
BUSINESS_HOURS = tuple(
    config.env_int(ENV, name, default, minimum=0) for name, default in (("BUSINESS_HOURS_START", 9), ("BUSINESS_HOURS_END", 17))
)
RETURN_TICKETS_ON_OFFLINE = config.env_bool(ENV, "RETURN_TICKETS_ON_OFFLINE", True)

# Escalation notifications: chat webhooks per team slug ("*" = every team), e.g.
# "billing=https://hooks.slack.com/services/…,*=https://chat.example/hook" (secrets: environment only).
CHAT_WEBHOOKS = dict(item.split("=", 1) for item in config.env_list(ENV, "CHAT_WEBHOOKS", []) if "=" in item)
# Outgoing webhooks (Admin → Platform → Outgoing webhooks) may reach only public addresses unless
# this is on: loopback, private, link-local (cloud metadata) and reserved targets are refused at
# save and at every delivery. On by default only with DEBUG (development).
WEBHOOK_ALLOW_PRIVATE_TARGETS = config.env_bool(ENV, "WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)

# The outbox (every outgoing e-mail and chat message): tries before "failed", the backoff base
# (retry n waits base × 2ⁿ s, at most 10 min) and the webhook timeout. The NOTIFICATION_* names
# of the release before the outbox are still read as defaults.
OUTBOX_MAX_ATTEMPTS = config.env_int(ENV, "OUTBOX_MAX_ATTEMPTS", config.env_int(ENV, "NOTIFICATION_MAX_ATTEMPTS", 10, minimum=1), minimum=1)
OUTBOX_RETRY_BASE_SECONDS = config.env_int(
    ENV, "OUTBOX_RETRY_BASE_SECONDS", config.env_int(ENV, "NOTIFICATION_RETRY_BASE_SECONDS", 5, minimum=1), minimum=1
)
OUTBOX_WEBHOOK_TIMEOUT_SECONDS = config.env_int(
    ENV, "OUTBOX_WEBHOOK_TIMEOUT_SECONDS", config.env_int(ENV, "NOTIFICATION_TIMEOUT_SECONDS", 5, minimum=1), minimum=1
)

# Incident detection: this many different customers with similar tickets within the window.
INCIDENT_WINDOW_MINUTES = config.env_int(ENV, "INCIDENT_WINDOW_MINUTES", 30, minimum=1)
INCIDENT_MIN_CUSTOMERS = config.env_int(ENV, "INCIDENT_MIN_CUSTOMERS", 5, minimum=2)
INCIDENT_SIMILARITY = config.env_float(ENV, "INCIDENT_SIMILARITY", 0.3)
# Resolving an incident resolves its open linked tickets, each with one reply to its customer.
INCIDENT_RESOLVES_CHILDREN = config.env_bool(ENV, "INCIDENT_RESOLVES_CHILDREN", True)
INCIDENT_RESOLUTION_MESSAGE = config.env_str(
    ENV,
    "INCIDENT_RESOLUTION_MESSAGE",
    "The problem you reported is fixed: it was part of a wider incident ({incident}) that we have now resolved. "
    "If anything still does not work for you, just reply to this e-mail and we will pick it up again.",
)

# How often a worker records that it is alive, and when /healthz stops believing it.
WORKER_HEARTBEAT_SECONDS = config.env_float(ENV, "WORKER_HEARTBEAT_SECONDS", 10.0)
WORKER_STALE_AFTER_SECONDS = config.env_float(ENV, "WORKER_STALE_AFTER_SECONDS", 3 * WORKER_HEARTBEAT_SECONDS)

REST_FRAMEWORK = {
    # Token first, so an unauthenticated API call gets 401 with WWW-Authenticate (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a nesting limit and no NaN/Infinity (escalation/api_input.py), then DRF's form parsers.
    "DEFAULT_PARSER_CLASSES": [
        "foundation.api_input.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "foundation.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "escalation API",
    "DESCRIPTION": "Help desk with automated triage, routing and escalation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "tickets.models.Channel.choices",
        "IntakeChannelEnum": "tickets.serializers.INTEGRATION_CHANNELS",
        "TicketStatusEnum": "tickets.models.TicketStatus.choices",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "foundation.openapi.add_error_responses"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.env_str(ENV, "LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
