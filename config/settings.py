"""Settings, 12-factor style: every deployment-specific value comes from the environment.

Defaults target the local services a developer or CI machine runs (PostgreSQL and Redis on
127.0.0.1). `make run` overrides them for the embedded mode (SQLite, eager Celery, local cache).
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from apps.ops.logging import logging_config as ops_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# No default: a production process must be given its secret; make run / tests pass their own.
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.audit.admin_app.AuditedAdminConfig",  # django.contrib.admin whose every change is audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "apps.common",
    "apps.accounts",
    "apps.agencies",
    "apps.catalog",
    "apps.workcalendar",
    "apps.dossiers",
    "apps.portal",
    "apps.notifications",
    "apps.ratings",
    "apps.stats",
    "apps.documents",
    "apps.audit",
    "apps.dashboard",
    "apps.public",  # citizens' pages: landing, lookup (issue 17)
    "apps.payments",  # online payment through a gateway (issue 17)
    "apps.identity",  # one account per citizen ID number; verified sign-in over OpenID Connect (issue 17)
    "apps.ops",
    "apps.workbench",
]

MIDDLEWARE = [
    # Request id, metrics and the JSON log line of every request; answers /healthz, /readyz, /metrics.
    "apps.ops.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The API: Vietnamese unless the request asks for English (Accept-Language). Pages: Vietnamese unless
    # the person chose English (User.language, else the switcher's cookie; never Accept-Language).
    # Early, so even the request guard's 400s speak the request's language.
    "apps.common.i18n.LanguageMiddleware",
    "apps.common.request_guard.RequestTextGuardMiddleware",  # NUL / non-UTF-8 request text: a 400, not a 500
    "apps.common.outages.ServiceUnavailableMiddleware",  # database / Redis down: 503 + Retry-After, not a 500
    "apps.common.request_guard.RequestSizeGuardMiddleware",  # body over UPLOAD_MAX_REQUEST_BYTES: 413 up front
    "apps.common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # admin and Swagger UI assets without a CDN or nginx
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.common.middleware.PageMessageMiddleware",  # Django's MessageMiddleware, for pages (not the API)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/onestop"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, less the health-check round trip on a connection a request used moments ago.
    DATABASES["default"]["ENGINE"] = "apps.common.postgresql"
    if not env.bool("DB_PREPARED_STATEMENTS", default=True):  # e.g. behind a transaction-pooling PgBouncer
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Names sort in Vietnamese dictionary order ("Đ" after "D") on PostgreSQL (ICU); SQLite sorts by bytes.
NAME_COLLATION = "vi-VN-x-icu" if DATABASES["default"]["ENGINE"].endswith("postgresql") else None

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
if CACHE_URL.startswith("locmem"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="onestop"),
            # A Redis that is down or hangs must cost a request seconds, not the OS's minutes-long timeouts.
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=2.0),
                "SOCKET_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=2.0),
            },
        }
    }

AUTH_USER_MODEL = "accounts.User"
# The statistics dashboard (apps/dashboard) signs staff in with a session and a plain form.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start-page"  # by role: apps.accounts.selectors.start_page_name
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # compiled .mo files are committed: nothing to build on install
# The pages' language switcher (apps/common/views.py) remembers a choice in this cookie; no script reads it.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.tokens.RolesJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["apps.common.renderers.JSONRenderer"],  # instants: local time, +07:00
    "DEFAULT_PARSER_CLASSES": ["apps.common.parsers.JSONParser"],  # deep nesting: 400, not RecursionError
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.common.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "apps.common.schema.ProblemAutoSchema",  # documents every problem response
    "EXCEPTION_HANDLER": "apps.common.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Reverse proxies in front of us: the client address is the one they append to X-Forwarded-For.
    # 0 (no proxy): REMOTE_ADDR only, so a forged X-Forwarded-For cannot dodge per-IP limits.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Per-client limits (apps/common/throttling.py), counted in the shared cache; "off" disables one.
    "DEFAULT_THROTTLE_RATES": {
        "lookup": env.str("THROTTLE_LOOKUP", default="30/min"),  # per IP address
        "submission": env.str("THROTTLE_SUBMISSION", default="30/min"),  # per applicant account
        "registration": env.str("THROTTLE_REGISTRATION", default="60/min"),  # per clerk account
        "portal_submission": env.str("THROTTLE_PORTAL_SUBMISSION", default="600/min"),  # per portal key
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="100/min"),  # sign-in attempts per IP address
        "login_username": env.str("THROTTLE_LOGIN_USERNAME", default="20/hour"),  # ... per sign-in name
        "signup": env.str("THROTTLE_SIGNUP", default="30/hour"),  # applicant accounts created per IP address
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Tokens (apps/accounts/tokens.py): a change of a user's roles, scope, password or active state
# ends their tokens at once; an access token is the longest anything revoked can live, so it is short.
JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=15)
if not 1 <= JWT_ACCESS_MINUTES <= 15:
    raise ImproperlyConfigured("JWT_ACCESS_MINUTES must be 1 to 15 (use the refresh token for longer sessions).")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    "TOKEN_OBTAIN_SERIALIZER": "apps.accounts.tokens.RolesTokenObtainPairSerializer",
    "ROTATE_REFRESH_TOKENS": True,  # done by our serializer, with reuse detection per sign-in
    "TOKEN_REFRESH_SERIALIZER": "apps.accounts.tokens.TokenRefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "onestop API",
    "DESCRIPTION": (
        "One-stop (một cửa điện tử) dossier intake service: catalogue, agencies, dossiers, "
        "statistics and the national portal sync. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "apps.dossiers.models.Channel.choices",
        "RegisterChannelEnum": "apps.dossiers.api.serializers.REGISTER_CHANNELS",
        "PaymentMethodEnum": "apps.dossiers.models.PaymentMethod.choices",
        "ReturnMethodEnum": "apps.dossiers.api.serializers.RETURN_METHODS",
        "StatusEnum": "apps.dossiers.models.StatusChoices.choices",  # the dossier states, as before
        "PaymentStatusEnum": "apps.payments.models.PaymentStatus.choices",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# An unreachable broker must not stall a request's post-commit nudge for the OS connect timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 5, "socket_timeout": 5}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs (celery beat). Each app's jobs are idempotent, so a missed or doubled tick is harmless.
CELERY_BEAT_SCHEDULE: dict = {
    "stats-compact": {"task": "stats.compact", "schedule": env.int("STATS_COMPACT_SECONDS", default=60)},
}

# Uploads: limits per file; the type is sniffed from the content, not trusted from the client.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_ALLOWED_TYPES = frozenset(
    env.list("UPLOAD_ALLOWED_TYPES", default=["application/pdf", "image/jpeg", "image/png"])
)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# The whole request body (every file and field together). nginx in front enforces the same number
# (deploy/nginx: client_max_body_size from this variable); so does apps.common.request_guard.
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 30

# Working-time calendar: office periods as "HH:MM-HH:MM" (DESIGN.md section 3).
OFFICE_HOURS = env.list("OFFICE_HOURS", default=["07:30-11:30", "13:00-17:00"])
SAME_DAY_CUTOFF = env.str("SAME_DAY_CUTOFF", default="15:00")
# How far back a clerk may date the reception of a counter/post dossier (days).
REGISTRATION_BACKDATE_DAYS = env.int("REGISTRATION_BACKDATE_DAYS", default=30)

# Security headers. Production (DEBUG off) defaults are what `manage.py check --deploy` asks for
# (tests/security/test_headers.py runs it); `make run` (DEBUG) serves plain HTTP on loopback.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto the redirect never fires; serving plain
# HTTP on purpose (a private network, a bench) needs SECURE_SSL_REDIRECT=false.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)  # only allows submitting to browsers' list
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (apps/common/middleware.py). Scripts only from our own origin: the admin
# and Swagger UI (drf-spectacular-sidecar, split view) have no inline script. Swagger UI needs inline
# styles (its page has a <style> block, its React views set style attributes) and data: images.
_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# With DEBUG, Django's technical error pages use inline scripts: report violations, do not block.
SECURE_CSP = {} if DEBUG else _CSP
SECURE_CSP_REPORT_ONLY = _CSP if DEBUG else {}

# Logs (apps/ops/logging.py): plain text by default (`make run`), one JSON object per line with
# LOG_FORMAT=json (docker-compose); every line carries the request id.
LOGGING = ops_logging_config(fmt=env.str("LOG_FORMAT", default="plain"), level=env.str("LOG_LEVEL", default="INFO"))

# Operations endpoints (apps/ops): /metrics answers a bearer METRICS_TOKEN, or clients in these networks.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# National portal sync (issue 6, DESIGN.md section 7). Without PORTAL_SYNC_URL the outbox only
# fills up (e.g. `make run`): nothing is sent and the drain task returns at once.
PORTAL_SYNC_URL = env.str("PORTAL_SYNC_URL", default="")
PORTAL_KEY_ID = env.str("PORTAL_KEY_ID", default="")
PORTAL_SECRET = env.str("PORTAL_SECRET", default="")
PORTAL_MAX_ATTEMPTS = env.int("PORTAL_MAX_ATTEMPTS", default=10)
PORTAL_TIMEOUT = env.float("PORTAL_TIMEOUT", default=10.0)
PORTAL_BATCH_SIZE = env.int("PORTAL_BATCH_SIZE", default=100)  # messages per signed POST
PORTAL_RETRY_BASE_SECONDS = env.float("PORTAL_RETRY_BASE_SECONDS", default=5.0)  # doubled per attempt, jittered
PORTAL_RETRY_MAX_SECONDS = env.float("PORTAL_RETRY_MAX_SECONDS", default=3600.0)
PORTAL_DRAIN_SECONDS = env.float("PORTAL_DRAIN_SECONDS", default=10.0)  # beat interval of the drain
PORTAL_DRAIN_BUDGET_SECONDS = env.float("PORTAL_DRAIN_BUDGET_SECONDS", default=55.0)  # one task's time
PORTAL_DRAIN_MAX_BATCHES = env.int("PORTAL_DRAIN_MAX_BATCHES", default=100_000)  # one task's batches
PORTAL_SIGNATURE_MAX_SKEW = env.int("PORTAL_SIGNATURE_MAX_SKEW", default=300)  # seconds, inbound requests
PORTAL_MAX_DOCUMENTS = env.int("PORTAL_MAX_DOCUMENTS", default=20)  # base64 documents per portal submission
PORTAL_OUTBOX_RETENTION_DAYS = env.int("PORTAL_OUTBOX_RETENTION_DAYS", default=30)  # delivered rows kept
# Which adapter delivers the outbox (issue 21): "webhook" (signed POST to PORTAL_SYNC_URL) or "dvcqg",
# the portal's own protocol: session login, then JSON service calls (apps/portal/dvcqg, README).
PORTAL_TRANSPORT = env.str("PORTAL_TRANSPORT", default="webhook")
if PORTAL_TRANSPORT not in ("webhook", "dvcqg"):
    raise ImproperlyConfigured("PORTAL_TRANSPORT must be 'webhook' or 'dvcqg'")
PORTAL_ADAPTER_URL = env.str("PORTAL_ADAPTER_URL", default="")  # empty: nothing is sent
PORTAL_AUTH_ENDPOINT = env.str("PORTAL_AUTH_ENDPOINT", default="/mapi/login")
PORTAL_SERVICE_ENDPOINT = env.str("PORTAL_SERVICE_ENDPOINT", default="/mapi/g")  # may contain {service}
PORTAL_USERNAME = env.str("PORTAL_USERNAME", default="")
PORTAL_PASSWORD = env.str("PORTAL_PASSWORD", default="")
PORTAL_AGENCY_CODE = env.str("PORTAL_AGENCY_CODE", default="")  # MaDinhDanhDV / madonvi, e.g. 000.00.00.H29
PORTAL_SESSION_SECONDS = env.int("PORTAL_SESSION_SECONDS", default=1800)  # how long the portal keeps a session
PORTAL_SESSION_RENEW_MARGIN = env.int("PORTAL_SESSION_RENEW_MARGIN", default=120)  # renewed this much earlier
PORTAL_SESSION_ERROR_CODES = env.list("PORTAL_SESSION_ERROR_CODES", default=["401", "403"])  # "log in again"
PORTAL_FILE_URL_SECONDS = env.int("PORTAL_FILE_URL_SECONDS", default=3 * 24 * 3600)  # signed document links
PORTAL_CATALOG_PULL_HOUR = env.int("PORTAL_CATALOG_PULL_HOUR", default=1)  # nightly LayDanhSachTTHC pull (dvcqg)

# Notifications (apps/notifications): e-mail through Django's backend, SMS through an interface.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mot-cua@localhost")
SMS_BACKEND = env.str("SMS_BACKEND", default="apps.notifications.sms.LoggingSmsBackend")
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_MAX_AGE_HOURS = env.int("NOTIFY_MAX_AGE_HOURS", default=48)  # older status changes are not announced
NOTIFY_STATUS_SECONDS = env.float("NOTIFY_STATUS_SECONDS", default=60.0)

_drain_every = PORTAL_DRAIN_SECONDS
CELERY_BEAT_SCHEDULE.update(
    {
        # The outbox table is the truth: every tick drains whatever is due, so a lost task message,
        # a dead worker or a Redis restart only delays delivery. Stale ticks expire unexecuted.
        "portal-drain": {
            "task": "portal.drain_outbox", "schedule": _drain_every, "options": {"expires": max(_drain_every * 2, 1)},
        },
        "portal-purge-nightly": {"task": "portal.purge_outbox", "schedule": crontab(minute=30, hour=2)},
        # Accepted inbound signatures (replay protection) leave the table once their window has passed.
        "portal-purge-signatures": {"task": "portal.purge_signatures", "schedule": 300.0},
        "portal-catalog-pull": {
            "task": "portal.pull_catalog", "schedule": crontab(minute=15, hour=PORTAL_CATALOG_PULL_HOUR),
        },
        "notifications-status": {"task": "notifications.status_changes", "schedule": NOTIFY_STATUS_SECONDS},
        # Hourly during office hours, plus a nightly catch-all run before the offices open.
        "notifications-overdue-hourly": {
            "task": "notifications.overdue_sweep",
            "schedule": crontab(minute=0, hour="7-17", day_of_week="mon-fri"),
        },
        "notifications-due-soon-hourly": {
            "task": "notifications.due_soon_reminders",
            "schedule": crontab(minute=5, hour="7-17", day_of_week="mon-fri"),
        },
        "notifications-overdue-nightly": {"task": "notifications.overdue_sweep", "schedule": crontab(minute=0, hour=6)},
        "notifications-due-soon-nightly": {
            "task": "notifications.due_soon_reminders", "schedule": crontab(minute=10, hour=6),
        },
    }
)

# Official one-stop forms as PDF (apps/documents, issue 8).
# The address citizens reach this service at: the QR code on a receipt opens {PUBLIC_BASE_URL}/tra-cuu/?ma=<code>.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# The place in the forms' date line ("Hưng Yên, ngày …"); empty: the province's name from the agency tree.
DOCUMENTS_PLACE = env.str("DOCUMENTS_PLACE", default="")
DOCUMENT_MAIL_MAX_ATTEMPTS = env.int("DOCUMENT_MAIL_MAX_ATTEMPTS", default=8)
DOCUMENT_MAIL_RETRY_AFTER_SECONDS = env.int("DOCUMENT_MAIL_RETRY_AFTER_SECONDS", default=300)  # lost tasks, re-queued
CELERY_BEAT_SCHEDULE["accounts-purge-refresh-families"] = {
    "task": "accounts.purge_refresh_families", "schedule": crontab(minute=40, hour=2),
}
CELERY_BEAT_SCHEDULE["documents-mail-retry"] = {
    "task": "documents.retry_pending_mail", "schedule": DOCUMENT_MAIL_RETRY_AFTER_SECONDS,
}

# Online payment (apps/payments, issue 17): request_payment opens a payment at the gateway; its signed
# IPN (POST /api/v1/payments/callback/) confirms it; a reconciliation job asks about the silent ones.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="")  # "vnpay", or empty: no online payment
VNPAY_PAY_URL = env.str("VNPAY_PAY_URL", default="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html")
VNPAY_API_URL = env.str("VNPAY_API_URL", default="https://sandbox.vnpayment.vn/merchant_webapi/api/transaction")
VNPAY_TMN_CODE = env.str("VNPAY_TMN_CODE", default="")
VNPAY_HASH_SECRET = env.str("VNPAY_HASH_SECRET", default="")
PAYMENT_RETURN_URL = env.str("PAYMENT_RETURN_URL", default="")  # empty: {PUBLIC_BASE_URL}/thanh-toan/ket-qua/
PAYMENT_EXPIRE_MINUTES = env.int("PAYMENT_EXPIRE_MINUTES", default=15)  # a signed redirect's validity
PAYMENT_TIMEOUT = env.float("PAYMENT_TIMEOUT", default=10.0)  # seconds, the gateway's query API
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=20)  # N: pending longer -> ask
CELERY_BEAT_SCHEDULE["payments-reconcile"] = {
    "task": "payments.reconcile", "schedule": env.int("PAYMENT_RECONCILE_SECONDS", default=300),
}

# Citizens' verified sign-in (apps/identity, issue 17): OpenID Connect, code flow with PKCE, against the
# national identity provider (VNeID through the national portal's SSO). Empty issuer: not offered.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_REDIRECT_URI = env.str("OIDC_REDIRECT_URI", default=PUBLIC_BASE_URL.rstrip("/") + "/api/v1/auth/oidc/callback/")
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid profile")
OIDC_ID_NUMBER_CLAIM = env.str("OIDC_ID_NUMBER_CLAIM", default="id_number")  # the claim holding the CCCD
OIDC_STATE_SECONDS = env.int("OIDC_STATE_SECONDS", default=600)  # a started sign-in's lifetime
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
