"""Settings shared by every environment; values come from the environment (django-environ).

Not used directly: ``portal.settings.local`` (``make run``, development, benchmarks),
``portal.settings.test`` (pytest) and ``portal.settings.production`` build on it. With no
``DJANGO_SETTINGS_MODULE`` the entry points (manage.py, WSGI/ASGI, Celery) choose
production, which refuses to start without its secrets. DEBUG is off here; only the local
settings turn it on. Outside DEBUG, ``portal.security`` refuses the demo values below.

With nothing else set, the portal runs on a SQLite file and an embedded filesystem Celery
broker, so a fresh machine needs no server.
"""

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Local state of the embedded defaults (SQLite file, collected static files, the filesystem
# broker): the folders are created at start-up (portal/apps.py), not when settings load.
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = False
# Committed demo values: usable only where DEBUG is on or the settings module says so
# (local, test); portal.security refuses them everywhere else.
DEMO_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"
DEMO_LINE_CHANNEL_SECRET = "demo-channel-secret"
DEMO_LINE_CHANNEL_ACCESS_TOKEN = "demo-channel-access-token"
PORTAL_DEMO_SECRETS_ALLOWED = False
SECRET_KEY = env.str("SECRET_KEY", default=DEMO_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal.apps.PortalConfig",
    "accounts.apps.AccountsConfig",
    "portal.line.apps.LineConfig",
    "broadcasts.apps.BroadcastsConfig",
    "broadcasts.recurring.apps.RecurringConfig",
    "broadcasts.richmenus.apps.RichMenusConfig",
    "intake.roads.apps.RoadsConfig",
    "intake.bulky.apps.BulkyConfig",
    "intake.questions.apps.QuestionsConfig",
    "intake.inbox.apps.InboxConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in a query parameter or form field: 400 before any view (portal/middleware.py).
    "portal.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on staff responses and residents' pages (portal/middleware.py).
    "portal.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MfaEnforcementMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: WAL and a busy timeout (seconds).
    # transaction_mode IMMEDIATE (bcast, issue 12): every transaction takes the write lock at
    # BEGIN, waiting up to `timeout` for it. With SQLite's default (DEFERRED) a transaction
    # that read first and then writes cannot wait for the lock and fails at once with
    # `database is locked` (the demo's 友だち全員 send logged dozens of these and took minutes).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# i18n: Japanese is the source language of every string; English is a translation.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Originals of residents' photos live here and are never served by URL.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email + password, no public sign-up (staff are invited), MFA.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.StaffAccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/15m/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/15m/key",
}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="市LINE公式アカウント職員ポータル")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@city.example.jp")

CACHES = {
    "default": env.cache("CACHE_URL", default="dummycache://")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portal.access.DeclaredPermission"],
    # DRF's JSON parser, refusing deep nesting, lone surrogates, NUL and non-object bodies (400).
    "DEFAULT_PARSER_CLASSES": [
        "portal.api_parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # portal.errors.DomainError (every service's refusal) → its 4xx with message and code.
    "EXCEPTION_HANDLER": "portal.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LINE公式アカウント 職員ポータル API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}
# foundation: distinct names for the apps' "status" choice sets, so schema generation (run by
# `check --deploy`) raises no drf_spectacular.W001 collision warning.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "BroadcastStatusEnum": "broadcasts.models.Broadcast.Status",
    "BulkyBookingStatusEnum": "intake.bulky.models.Booking.Status",
    "RoadReportStatusEnum": "intake.roads.models.Status",
}

# Celery. The embedded default is kombu's filesystem transport: no server, but a real
# worker process. Production sets CELERY_BROKER_URL to Redis or RabbitMQ.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery-broker")))


def broker_transport_options(broker_url: str, folder: Path) -> dict:
    if broker_url.startswith("filesystem"):
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            # An idle worker looks for new tasks this often (kombu's default: 1 s); a
            # broadcast's batches and a resident's chat reply wait less (bcast, issue 12).
            "polling_interval": 0.2,
        }
    return {"visibility_timeout": 3600}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_BROKER_DIR)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs: each app declares its own in <app>/beat.py (SCHEDULE); portal/beat.py collects
# them into this dict at start-up (PortalConfig.ready(), in web, worker and beat processes alike).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# LINE platform. The real hosts are only defaults: tests, benchmarks and the demo point
# these at the project's emulator (python manage.py line_emulator).
LINE_CHANNEL_SECRET = env.str("LINE_CHANNEL_SECRET", default=DEMO_LINE_CHANNEL_SECRET)
LINE_CHANNEL_ACCESS_TOKEN = env.str("LINE_CHANNEL_ACCESS_TOKEN", default=DEMO_LINE_CHANNEL_ACCESS_TOKEN)
LINE_API_BASE_URL = env.str("LINE_API_BASE_URL", default="https://api.line.me")
LINE_API_DATA_BASE_URL = env.str("LINE_API_DATA_BASE_URL", default="https://api-data.line.me")
LINE_REQUEST_TIMEOUT = env.float("LINE_REQUEST_TIMEOUT", default=10.0)
# What the webhook accepts (portal/line/inbound.py): LINE publishes no maximum and sends one
# or a few events per request; a larger body is refused (413) before it is read.
LINE_WEBHOOK_MAX_BODY_BYTES = env.int("LINE_WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
LINE_WEBHOOK_MAX_EVENTS = env.int("LINE_WEBHOOK_MAX_EVENTS", default=100)
# The answers' count cells (residents.counts_compact) are folded into a new generation only
# once this many change rows have piled up: a process reloads a generation on its next
# 50-rule count with dimensions (about a second at 1M residents), while the rows since are
# summed in SQL at every count (20,000 rows: a few ms).
LINE_ANSWER_COUNTS_COMPACT_ROWS = env.int("LINE_ANSWER_COUNTS_COMPACT_ROWS", default=20_000)
# The portal's public address: links sent to residents (booking pages) and image URLs LINE
# fetches (broadcast images) are built on it. Outside DEBUG it must be HTTPS (LINE accepts
# only HTTPS image URLs); production requires it to be set.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Maps: Leaflet (npm, copied to static/vendor/leaflet by `make assets`), served locally.
# No tiles are fetched unless an operator sets a tile server reachable from the city's
# network (LGWAN); pages stay usable with no tiles.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
MAP_DEFAULT_CENTER = (33.5902, 130.4017)  # Fukuoka City Hall (demo city)

# Road reports. A report's 地域 is the area whose boundary holds its location, else the
# nearest boundary within this many metres (GPS error, a position shared from a river bank).
ROAD_AREA_TOLERANCE_M = env.float("ROAD_AREA_TOLERANCE_M", default=150.0)
# Days after a report is closed (完了/対応不可/重複; an open report: after its last change) before the resident's link, the typed
# address, comments, follow-up texts and the resident's photos (originals too) are purged.
# One year: long enough for follow-ups, a reopened report and the yearly repair statistics.
RETENTION_ROAD_REPORT_DAYS = env.int("RETENTION_ROAD_REPORT_DAYS", default=365)
# Photos a resident sent in a 通報 conversation that never became a report (cancelled or
# expired after 30 minutes): deleted, originals and copies, once this many days have passed.
RETENTION_ROAD_UNSENT_PHOTO_DAYS = env.int("RETENTION_ROAD_UNSENT_PHOTO_DAYS", default=1)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No LINE user ID, phone number or e-mail address in any log line (portal/logredact.py):
    # every handler has this filter, which also redacts each record when it is made.
    "filters": {"redact_personal_data": {"()": "portal.logredact.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_personal_data"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
from portal.logfilters import SECURITY_LOGGERS  # noqa: E402

# Requests Django refuses as suspicious (bad Host, oversized body, too many fields): their
# 400 is logged as one WARNING line, not an ERROR with a traceback (portal/logfilters.py).
LOGGING["filters"]["refused_request_without_traceback"] = {"()": "portal.logfilters.RefusedRequestWithoutTraceback"}
LOGGING["loggers"].update({name: {"filters": ["refused_request_without_traceback"]} for name in SECURITY_LOGGERS})

# --- intake.bulky (粗大ごみ) ---
# Reminders the day before collection: intake/bulky/beat.py. Bookings' personal data is purged
# by the hourly portal.purge_personal_data job (the store
# "bulky.bookings" registered in intake/bulky/apps.py; period: BulkySettings.retention_days).

# --- portal.line (LINE platform layer) ---
# Shared token buckets (portal/line/ratelimit.py), below LINE's published ceilings: in any
# window, burst + rate stays under LINE's limit (multicast 200/s, push 2000/s, broadcast 60/h).
# Multicast: a broadcast to every friend goes at this rate (195 × 500 = 97,500 residents/s,
# 0.975 of LINE's ceiling); 2 requests of slack for requests that arrive bunched.
LINE_RATE_LIMITS = {
    "multicast": {"rate": 195, "per": 1.0, "burst": 3},
    "push": {"rate": 1800, "per": 1.0, "burst": 100},
    "reply": {"rate": 1800, "per": 1.0, "burst": 100},
    "broadcast": {"rate": 50, "per": 3600.0, "burst": 5},
    # Rich menus (portal/line/richmenus.py): create, delete and alias delete 100/h; bulk link
    # and bulk unlink 3/s each; batch control 3/h; the other rich-menu endpoints 2000/s.
    "richmenu_create": {"rate": 90, "per": 3600.0, "burst": 5},
    "richmenu_delete": {"rate": 90, "per": 3600.0, "burst": 5},
    "richmenu_alias_delete": {"rate": 90, "per": 3600.0, "burst": 5},
    "richmenu_bulk_link": {"rate": 2, "per": 1.0, "burst": 1},
    "richmenu_bulk_unlink": {"rate": 2, "per": 1.0, "burst": 1},
    "richmenu_batch": {"rate": 2, "per": 3600.0, "burst": 1},
    "richmenu": {"rate": 1800, "per": 1.0, "burst": 100},
    # Insight (portal/line/insights.py): LINE allows 60 requests an hour per endpoint group;
    # 50 an hour, so the results job never meets a 429 of its own making.
    "insight_message": {"rate": 50, "per": 3600.0, "burst": 5},
    "insight_unit": {"rate": 50, "per": 3600.0, "burst": 5},
    "insight_followers": {"rate": 50, "per": 3600.0, "burst": 5},
    "insight_demographic": {"rate": 50, "per": 3600.0, "burst": 5},
}
# The webhook skips the staff portal's middleware after SecurityMiddleware (portal/line/middleware.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "portal.line.middleware.WebhookShortcutMiddleware"
)
# Tasks a worker enqueues (a chat reply pushed after its token expired) go to the queue it
# consumes; tests start workers on a per-run queue and pass it here.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# --- broadcasts ---------------------------------------------------------------------------
# Celery's Django fix-up closes the database connection before and after every task unless
# this is set (then each thread keeps it for about twice as many tasks): a fan-out batch task
# otherwise pays a new PostgreSQL connection. Unset (default) keeps Celery's behaviour.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=0) or None
# A batch's multicast request times out after this (at most LINE_REQUEST_TIMEOUT; a timed-out
# request is resent with its retry key) and is leased for this + 2 s (broadcasts/fanout.py).
BROADCAST_SEND_TIMEOUT = env.float("BROADCAST_SEND_TIMEOUT", default=5.0)
# This often (broadcasts/beat.py), batches of a 配信中 broadcast whose lease expired (a killed
# worker's) are re-enqueued, so they resume within lease + this (about 8 s) of the kill;
# batches and snapshots nobody touched for BROADCAST_STALE_BATCH_SECONDS too (a task lost
# before it claimed anything).
BROADCAST_SWEEP_SECONDS = env.float("BROADCAST_SWEEP_SECONDS", default=1.0)
BROADCAST_STALE_BATCH_SECONDS = env.int("BROADCAST_STALE_BATCH_SECONDS", default=120)

# intake.roads: residents' photos are fetched and decoded on their own queue, consumed only by
# photo workers of fixed concurrency (README: "Scaling out"; rundemo starts one). A burst of
# photos then waits there, stored and pending, instead of delaying webhooks, chat replies and
# broadcasts, and the memory photos take is bounded: concurrency x one photo (≤ ~100 MB,
# portal/images.py).
ROADS_PHOTO_QUEUE = env.str("ROADS_PHOTO_QUEUE", default="photos")
CELERY_TASK_ROUTES = {"roads.fetch_photo": {"queue": ROADS_PHOTO_QUEUE}}
# intake.roads: first retry delay (seconds, doubled each retry) when LINE's content endpoint fails.
ROADS_PHOTO_RETRY_BASE = env.float("ROADS_PHOTO_RETRY_BASE", default=5.0)
# Resident counts shown anywhere come from a differentially private release of the reach
# cells (broadcasts/PRIVACY.md): ε per release (δ below), published at most once per
# BROADCAST_PRIVACY_RELEASE_HOURS; half of each cell's noise is kept for an epoch of
# BROADCAST_PRIVACY_EPOCH_DAYS, so averaging releases does not converge to the counts.
BROADCAST_PRIVACY_EPSILON = env.float("BROADCAST_PRIVACY_EPSILON", default=1.2)
BROADCAST_PRIVACY_DELTA = env.float("BROADCAST_PRIVACY_DELTA", default=1e-6)
BROADCAST_PRIVACY_RELEASE_HOURS = env.float("BROADCAST_PRIVACY_RELEASE_HOURS", default=24.0)
BROADCAST_PRIVACY_EPOCH_DAYS = env.float("BROADCAST_PRIVACY_EPOCH_DAYS", default=365.0)
# A sent broadcast's recipient total: one noisy draw per broadcast, at this ε.
BROADCAST_PRIVACY_SENT_EPSILON = env.float("BROADCAST_PRIVACY_SENT_EPSILON", default=0.25)
# How long a web process trusts its lookup of the current release (seconds).
BROADCAST_PRIVACY_LOOKUP_CACHE_SECONDS = env.float("BROADCAST_PRIVACY_LOOKUP_CACHE_SECONDS", default=5.0)
# Refusals of the exact 50 check ("under 50") per staff member per day; then no more checks.
BROADCAST_MINIMUM_REFUSALS_PER_DAY = env.int("BROADCAST_MINIMUM_REFUSALS_PER_DAY", default=10)

# --- retention of residents' personal data (portal/retention.py; README「保存期間」) ---------
# Periods in days; the hourly job portal.purge_personal_data enforces them and audits counts.
# Webhook events: the row (its id, for LINE's redeliveries) is deleted after this; the
# payload is emptied when the event is processed, or after RETENTION_WEBHOOK_UNPROCESSED_DAYS
# when it never could be.
RETENTION_WEBHOOK_EVENT_DAYS = env.int("RETENTION_WEBHOOK_EVENT_DAYS", default=7)
RETENTION_WEBHOOK_UNPROCESSED_DAYS = env.int("RETENTION_WEBHOOK_UNPROCESSED_DAYS", default=3)
# Pushes to one resident (chat replies pushed, booking confirmations, reminders).
RETENTION_OUTBOUND_MESSAGE_DAYS = env.int("RETENTION_OUTBOUND_MESSAGE_DAYS", default=30)
# Chat conversations expire 30 minutes after the last step; deleted by the next run past this.
RETENTION_CONVERSATION_DAYS = env.int("RETENTION_CONVERSATION_DAYS", default=0)
# The chat log (portal/line/chatroom.py): what residents wrote that no flow expected, and the
# bot's answers, as the staff inbox shows them; each line is deleted this long after it was written.
RETENTION_CHAT_LOG_DAYS = env.int("RETENTION_CHAT_LOG_DAYS", default=90)
# Staff inbox conversations (intake/inbox) with their replies and notes: deleted this long
# after their last activity, whatever their state.
RETENTION_INBOX_DAYS = env.int("RETENTION_INBOX_DAYS", default=90)
# A blocked resident's rich-menu link (broadcasts/richmenus): gone at the next hourly run.
RETENTION_RICHMENU_LINK_DAYS = env.int("RETENTION_RICHMENU_LINK_DAYS", default=0)
# Audit entries stay; their detail (a lookup's stated reason, resident numbers, old/new
# values) is replaced by {"purged": true} after this (at least 365 days: the PostgreSQL
# trigger refuses earlier). 3 years: the limitation period for prosecuting unlawful use of
# personal information by staff (個人情報保護法 176条・180条, 公訴時効 3年).
RETENTION_AUDIT_DETAIL_DAYS = env.int("RETENTION_AUDIT_DETAIL_DAYS", default=1095)
# Broadcast batches keep keyed hashes of their recipients once sent (broadcasts/recipients.py);
# batches never sent are hashed this long after their broadcast ended (then cannot be resent).
RETENTION_BROADCAST_UNSENT_DAYS = env.int("RETENTION_BROADCAST_UNSENT_DAYS", default=30)
# The HMAC key of those hashes: a secret of its own (not SECRET_KEY, which may be rotated).
BROADCAST_RECIPIENT_HASH_KEY = env.str("BROADCAST_RECIPIENT_HASH_KEY", default="dev-insecure-recipient-hash-key")

# --- ops: Content-Security-Policy (django-csp 4) --------------------------------------------
# Everything comes from the portal itself: no inline script, no inline style attribute or
# element, no event-handler attribute (tests/portal/test_csp.py walks the main pages).
# data: images only for the TOTP QR code allauth renders. A tile server the city configures
# (MAP_TILE_URL) is the one outside origin images may come from.
from csp.constants import NONE, SELF  # noqa: E402


def _origin(url: str) -> list[str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme in ("http", "https") and parts.netloc else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_origin(MAP_TILE_URL)],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
# Swagger UI (/api/docs/) from the vendored sidecar package, its script a separate request.
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS.update({"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"})

# --- ops: client IP behind the TLS proxy (portal/clientip.py; README「リバースプロキシ」) -----
# How many proxies in front of the portal append to X-Forwarded-For (0: REMOTE_ADDR is the
# client). Or a header the proxy sets itself (e.g. X-Real-IP). allauth's rate limits and the
# audit log use the same answer.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER

# --- ops: /healthz ----------------------------------------------------------------------------
# Beat sends portal.health_beat each minute (its heartbeat); the worker running it records
# its last-seen time. /healthz only reads them, and answers from the cache this long.
HEALTH_BEAT_SECONDS = env.float("HEALTH_BEAT_SECONDS", default=60.0)
HEALTHZ_CACHE_SECONDS = env.int("HEALTHZ_CACHE_SECONDS", default=5)

# --- ops: staff sessions (portal/session_timeout.py) ------------------------------------------
# Signed out after this long without a request, and this long after signing in however
# active (a shift, not Django's two weeks). The cookie does not outlive the absolute age.
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
STAFF_SESSION_MAX_AGE_SECONDS = env.int("STAFF_SESSION_MAX_AGE_SECONDS", default=10 * 60 * 60)
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_AGE_SECONDS
_after_messages = MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1
MIDDLEWARE.insert(_after_messages, "portal.session_timeout.SessionTimeoutMiddleware")
# Password reset does not mail addresses that belong to no account (nor says whether one does).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False

# --- ops: TOTP sign-in explains a code already used in its 30-second period ------------------
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.StaffAuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.StaffReauthenticateForm",
}
