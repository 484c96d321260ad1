"""Complete settings, read from the environment.

Production is this module plus environment variables (see README "Configuration").
`local.py` and `test.py` override only what a developer machine or the test run needs.

Longer than 400 lines: one module reads every environment variable (the README's tables
list them, tests/lms/core/test_readme_config.py checks it).
"""

from pathlib import Path

import django_stubs_ext
import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Django's generic classes (ModelAdmin[Course], ModelForm[Lecture]...) subscriptable at run time,
# as the type checker (django-stubs) reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    # The entry points (lms/wsgi.py, lms/celery.py) default to these settings: a
    # server started without its secret stops here rather than running on a guessable one.
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Give this installation a long random secret of its own in the "
        "environment (e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(50))'). "
        "scripts/start.sh (lms.settings.embedded) makes one in var/ by itself."
    )
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where the embedded mode keeps its database, uploads and broker queue.
VAR_DIR = Path(env.str("LMS_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "lms.core",
    "lms.accounts",
    "lms.catalog",
    "lms.community",
    "lms.studio",
    "lms.learning",
    "lms.media",
    "lms.certificates",
    "lms.web",
    "lms.demo",
    "lms.qna",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every page, with the S3 storage's origin (lms/core/csp.py).
    "lms.core.csp.StorageAwareCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.core.middleware.KoreanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The platform's error page around bare error responses (an empty 405...).
    "lms.core.error_pages.ErrorPageMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

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
                "django.template.context_processors.i18n",
                "lms.core.context_processors.site",
                "lms.community.context_processors.notifications",
                "lms.web.context_processors.staff_queues",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file safely.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    # A ping before the first query of each request: a restarted PostgreSQL costs no failed
    # request, for one round trip per request (turn off behind a pooler that checks itself).
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env.bool("DB_CONN_HEALTH_CHECKS", default=True)
    )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters bound by the server, not spliced into the SQL text, and a statement a
        # connection runs for the fifth time prepared (Django turns psycopg's preparing off by
        # default): PostgreSQL stops parsing and planning the heartbeat's statements on every
        # request (figures: docs/performance.md). Behind PgBouncer in transaction mode, set
        # its max_prepared_statements, or DB_PREPARE_THRESHOLD=none.
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault(
            "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
        )
        _prepare = env.str("DB_PREPARE_THRESHOLD", default="5")
        DATABASES["default"]["OPTIONS"].setdefault(
            "prepare_threshold", None if _prepare.lower() == "none" else int(_prepare)
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
SITE_ID = 1

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # Staff may run the content in the admin without per-model grants (see the module).
    "lms.accounts.backends.StaffContentBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: e-mail is the login, verified before the account is used.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The display name and the consents (terms, privacy required; marketing optional), on the
# sign-up form and on the Kakao and Naver sign-up form alike; kept as Consent rows.
ACCOUNT_SIGNUP_FORM_CLASS = "lms.accounts.forms.SignupDetailsForm"
ACCOUNT_ADAPTER = "lms.accounts.adapter.AccountAdapter"
# Following the link in the confirmation mail finishes the sign-up signed in, when it is opened
# in the browser that signed up (allauth checks the sign-up waiting in that session).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGOUT_ON_GET = False
# Counted in CACHES["default"] (shared by every web process). "key" is the e-mail address
# given: 5 wrong passwords for one account in 5 minutes lock it for the rest of the window,
# the right password included; an address may ask for a reset 3 times in 15 minutes (each
# sends a mail). The others are allauth's defaults, spelled out: e-mail confirmations
# (confirm_email) keep allauth's one per address every 3 minutes.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip,100/h/ip",
    "reset_password": "20/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    # The "send again" button after sign-up: one mail per address every 3 minutes.
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CS리더스포럼] "
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Kakao and Naver sign-in show on the sign-in and sign-up pages once staff add their keys (a
# "social application" in the admin, for this site). A new member from either always passes
# the sign-up form (the consents, and an e-mail address when Kakao gives none); an account is
# never joined to an existing one because their e-mail addresses match: the member signs in and
# connects it themselves.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {"kakao": {}, "naver": {}}
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CS리더스포럼 <noreply@localhost>")
# Where members write about their personal information and the terms (the /privacy/ and
# /terms/ pages name it).
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="privacy@localhost")

# Korean first.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "lms" / "locale"]
TIME_ZONE = "Asia/Seoul"
# Django's own date formats (the admin, `|date`) in Korean order (lms/core/formats/ko).
FORMAT_MODULE_PATH = ["lms.core.formats"]
USE_I18N = True
USE_TZ = True

# Static files: collected into STATIC_ROOT, served by whitenoise. node_modules holds the
# front-end packages from package.json (hls.js, fonts); STATICFILES_DIRS picks what we ship.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "lms" / "static"]
NODE_MODULES_DIR = BASE_DIR / "node_modules"
# Only the parts of the npm packages that pages load (package.json); no CDN links.
VENDOR_STATIC = {
    "vendor/hls": NODE_MODULES_DIR / "hls.js" / "dist",
    "vendor/noto-sans-kr": NODE_MODULES_DIR / "@fontsource" / "noto-sans-kr",
}
STATICFILES_DIRS += [(prefix, path) for prefix, path in VENDOR_STATIC.items() if path.is_dir()]
WHITENOISE_KEEP_ONLY_HASHED_FILES = False

MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Storage: local files (embedded default) or S3 (django-storages) when STORAGE_BACKEND=s3.
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "custom_domain": env.str("S3_CUSTOM_DOMAIN", default=None),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("S3_URL_TTL", default=600),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": f"/{MEDIA_URL}"},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "lms.core.staticfiles.StaticStorage"},
}

# Media pipeline (DESIGN.md "Media pipeline"): upload limits, transcode jobs, ffmpeg.
MEDIA_MAX_UPLOAD_BYTES = env.int("MEDIA_MAX_UPLOAD_BYTES", default=20 * 1024**3)
MEDIA_MAX_DURATION_SECONDS = env.int("MEDIA_MAX_DURATION_SECONDS", default=6 * 3600)
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=4096 * 4096)
MEDIA_MAX_FRAME_RATE = env.float("MEDIA_MAX_FRAME_RATE", default=120.0)
MEDIA_MAX_STREAMS = env.int("MEDIA_MAX_STREAMS", default=16)
# Empty: ffmpeg on PATH, else the binary bundled with imageio-ffmpeg.
FFMPEG_BINARY: str | None = env.str("FFMPEG_BINARY", default="") or None
TRANSCODE_QUEUE = env.str("TRANSCODE_QUEUE", default="transcode")
TRANSCODE_X264_PRESET = env.str("TRANSCODE_X264_PRESET", default="veryfast")
# A running job renews its lease every TRANSCODE_HEARTBEAT_SECONDS; the watchdog treats a
# lease that ran out as a dead worker and starts the next attempt. Keep the lease well above
# the probe's time limit (30 s), the one phase that sends no heartbeat.
TRANSCODE_LEASE_SECONDS = env.int("TRANSCODE_LEASE_SECONDS", default=120)
TRANSCODE_HEARTBEAT_SECONDS = env.float("TRANSCODE_HEARTBEAT_SECONDS", default=2.0)
TRANSCODE_MAX_ATTEMPTS = env.int("TRANSCODE_MAX_ATTEMPTS", default=3)
TRANSCODE_RETRY_BACKOFF_SECONDS = env.int("TRANSCODE_RETRY_BACKOFF_SECONDS", default=30)
# A queued job whose task message may have been lost (broker restart) is sent again after this.
TRANSCODE_RESEND_QUEUED_SECONDS = env.int("TRANSCODE_RESEND_QUEUED_SECONDS", default=1800)
TRANSCODE_WATCHDOG_SECONDS = env.int("TRANSCODE_WATCHDOG_SECONDS", default=60)
TRANSCODE_UPLOAD_THREADS = env.int("TRANSCODE_UPLOAD_THREADS", default=8)
# Where workers copy sources and write outputs; empty: the system temp directory.
TRANSCODE_TEMP_DIR: str | None = env.str("TRANSCODE_TEMP_DIR", default="") or None

# Celery: filesystem broker in the embedded mode, RabbitMQ or Redis in production.
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    # kombu's filesystem transport needs its folders to exist before anything is sent.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "lms.media.tasks.*": {"queue": TRANSCODE_QUEUE},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "studio-go-live": {"task": "lms.studio.tasks.go_live_announce", "schedule": 60.0},
    "media-transcode-watchdog": {
        "task": "lms.media.tasks.watchdog",
        "schedule": float(TRANSCODE_WATCHDOG_SECONDS),
    },
}

# How long the key the lecture page gives its player stays valid (it also ends with a password
# change); after it the player falls back to the session cookie.
HEARTBEAT_KEY_MAX_AGE = env.int("HEARTBEAT_KEY_MAX_AGE", default=12 * 3600)
# A checked key is trusted this long by each web process without a database look-up
# (lms/learning/auth.py), never longer than 60 s (auth.KEY_RECHECK_SECONDS): sign-out, a
# password change or a deactivation stops a player's reports within this time.
HEARTBEAT_KEY_CACHE_SECONDS = env.int("HEARTBEAT_KEY_CACHE_SECONDS", default=60)
# Player sessions (one per page load) are remembered this long to tell whose a report is; a
# daily task forgets older ones.
HEARTBEAT_SESSION_DAYS = env.int("HEARTBEAT_SESSION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["learning-heartbeat-sessions-prune"] = {
    "task": "lms.learning.tasks.heartbeat_sessions_prune",
    "schedule": 24 * 3600.0,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # JSON only, with size and nesting limits (the API takes no forms).
    "DEFAULT_PARSER_CLASSES": ["lms.core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "lms.core.api.exception_handler",
    # Counts live in CACHES["default"], shared by every web process.
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min", "heartbeats": "120/min"},
}
# The one cache every web process (and machine) shares: the sign-in, sign-up and
# password-reset limits (allauth) and the API throttles count there, so a limit holds per
# member and address, not per process. Redis when CACHE_URL is set (production); else the
# database's own cache table (the embedded mode; `createcachetable` makes it).
# THROTTLE_CACHE_URL is the name this setting had when only the heartbeat limit used it.
CACHE_URL = env.str("CACHE_URL", default="") or env.str("THROTTLE_CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            # django-redis, not Django's own RedisCache: that builds a new redis client for
            # every operation (a third of a heartbeat's throttle cost, docs/performance.md).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "lms",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "lms_cache",
            # Past MAX_ENTRIES the table drops a third of its rows, live counts too: keep it
            # well above the members and addresses counted at once.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

SPECTACULAR_SETTINGS = {
    "TITLE": "CS Leaders Forum LMS API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the errors it can answer (lms/core/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lms.core.schema.document_error_responses",
    ],
    # `<id:...>` path segments (lms.core.converters): database ids.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    },
}

# Security: production defaults; local.py relaxes them for http://127.0.0.1.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A CSRF failure gets the platform's own page (lms/core/views.py), like the other errors.
CSRF_FAILURE_VIEW = "lms.core.views.csrf_failure"

# Content-Security-Policy (django-csp) on every page: scripts, styles and fonts only from the
# platform's static files (no inline script or style, so no 'unsafe-inline'); blob: for hls.js
# (MediaSource URLs and its worker) and data: for the caption tracks it makes (`<track
# src="data:text/vtt...">`); the S3 storage's origin is added by the middleware. Forms
# post to the platform and to the Kakao and Naver sign-in pages (allauth redirects there).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "font-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:", "data:"],
        "connect-src": [SELF, "blob:"],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, "https://kauth.kakao.com", "https://nid.naver.com"],
        "report-uri": "/csp-report/",
    },
}
# The violation reports endpoint (lms.core.views.csp_report): what one report and one client
# may send.
CSP_REPORT_MAX_BYTES = env.int("CSP_REPORT_MAX_BYTES", default=16 * 1024)
CSP_REPORTS_PER_MINUTE = env.int("CSP_REPORTS_PER_MINUTE", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Resumable uploads (DESIGN.md "Media pipeline" 1; lms/media/uploads.py). Parts of
# UPLOAD_PART_SIZE bytes (S3 needs at least 5 MiB for all but the last); the browser sends
# UPLOAD_CONCURRENCY at a time. On S3 each part URL is presigned for UPLOAD_PART_URL_TTL_SECONDS.
# An upload with no activity for UPLOAD_EXPIRE_HOURS is aborted and its parts deleted by the
# `uploads_cleanup` task; finished upload records are kept UPLOAD_RECORD_RETENTION_DAYS.
UPLOAD_PART_SIZE = env.int("UPLOAD_PART_SIZE", default=16 * 1024**2)
UPLOAD_CONCURRENCY = env.int("UPLOAD_CONCURRENCY", default=3)
UPLOAD_PART_URL_TTL_SECONDS = env.int("UPLOAD_PART_URL_TTL_SECONDS", default=15 * 60)
UPLOAD_EXPIRE_HOURS = env.float("UPLOAD_EXPIRE_HOURS", default=24.0)
UPLOAD_RECORD_RETENTION_DAYS = env.int("UPLOAD_RECORD_RETENTION_DAYS", default=7)
UPLOAD_CLEANUP_SECONDS = env.int("UPLOAD_CLEANUP_SECONDS", default=15 * 60)
UPLOAD_MAX_OPEN_PER_USER = env.int("UPLOAD_MAX_OPEN_PER_USER", default=20)
CELERY_TASK_ROUTES["lms.media.tasks.uploads_cleanup"] = {"queue": CELERY_TASK_DEFAULT_QUEUE}
CELERY_BEAT_SCHEDULE["media-uploads-cleanup"] = {
    "task": "lms.media.tasks.uploads_cleanup",
    "schedule": float(UPLOAD_CLEANUP_SECONDS),
}

# How long the signed URLs of a lecture's media files stay valid (the master playlist, which
# checks access, is fetched again when a player reloads): long enough for one viewing.
PLAYBACK_URL_TTL_SECONDS = env.int("PLAYBACK_URL_TTL_SECONDS", default=2 * 3600)

# A re-encode switches the asset to its new version at once; the old version's files are
# deleted MEDIA_SUPERSEDED_VERSION_GRACE_HOURS later (by `versions_purge`, run every
# MEDIA_VERSIONS_PURGE_SECONDS), so members who loaded it before the switch can finish; a
# video a lecture stopped using is deleted after the same grace. Keep the grace well above
# PLAYBACK_URL_TTL_SECONDS, how long its signed URLs stay valid.
MEDIA_SUPERSEDED_VERSION_GRACE_HOURS = env.float(
    "MEDIA_SUPERSEDED_VERSION_GRACE_HOURS", default=24.0
)
MEDIA_VERSIONS_PURGE_SECONDS = env.int("MEDIA_VERSIONS_PURGE_SECONDS", default=3600)
CELERY_TASK_ROUTES["lms.media.tasks.versions_purge"] = {"queue": CELERY_TASK_DEFAULT_QUEUE}
CELERY_BEAT_SCHEDULE["media-versions-purge"] = {
    "task": "lms.media.tasks.versions_purge",
    "schedule": float(MEDIA_VERSIONS_PURGE_SECONDS),
}

# Certificates (issue 22): who issues them, and how many verification look-ups one address
# may make (counted in CACHES["default"], shared by every web process): enough for an
# employer checking a pile of applications, too few to walk 80-bit codes.
CERTIFICATE_ISSUER = env.str("CERTIFICATE_ISSUER", default="CS리더스포럼")
CERTIFICATE_ISSUER_EN = env.str("CERTIFICATE_ISSUER_EN", default="CS Leaders Forum")
CERTIFICATE_VERIFY_LIMIT = env.int("CERTIFICATE_VERIFY_LIMIT", default=30)
CERTIFICATE_VERIFY_WINDOW_SECONDS = env.int("CERTIFICATE_VERIFY_WINDOW_SECONDS", default=60)
# Completions the learning service stored without a certificate yet, and certificates whose
# completion staff invalidated: both caught up every few minutes (safe to run twice).
CELERY_BEAT_SCHEDULE["certificates-issue-pending"] = {
    "task": "lms.certificates.tasks.certificates_sync",
    "schedule": 300.0,
}

# Special lectures (lms/community). The UID domain names this platform in calendar entries and
# must never change once members subscribed: their calendars would duplicate every entry.
CALENDAR_UID_DOMAIN = env.str("CALENDAR_UID_DOMAIN", default="cs-leaders-forum.kr")
# How long a waitlisted member has to take a freed place (shorter when the lecture is nearer).
EVENT_OFFER_HOURS = env.int("EVENT_OFFER_HOURS", default=24)
# The online link shows to registered members from this many minutes before the start.
EVENT_ONLINE_LINK_LEAD_MINUTES = env.int("EVENT_ONLINE_LINK_LEAD_MINUTES", default=30)
CELERY_BEAT_SCHEDULE["community-offers-expire"] = {
    "task": "lms.community.tasks.offers_expire",
    "schedule": 300.0,
}
# The platform's public address, for links in e-mails and calendar entries.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
CELERY_BEAT_SCHEDULE["community-reminders"] = {
    "task": "lms.community.tasks.reminders_send",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["community-recordings-announce"] = {
    "task": "lms.community.tasks.recordings_announce",
    "schedule": 300.0,
}
# At most this many e-mails an hour to one member about one source (a lecture, or a kind).
NOTIFICATION_PER_SOURCE_HOURLY = env.int("NOTIFICATION_PER_SOURCE_HOURLY", default=5)
# Questions and answers one member may post: (window in seconds, most posts in it).
QNA_POST_LIMITS = [(600, 10), (86_400, 50)]
