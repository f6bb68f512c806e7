"""Settings shared by every environment.

Every value that differs between machines is read from the environment here, once, through
django-environ; the local/test/production modules only change defaults and hardening.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A developer's own .env (never committed) overrides nothing already in the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "servicedesk.core",
    "customers",
    "tickets",
    "followups",
    "surveys",
    "servicedesk.dashboard",
    "servicedesk.audit",
    "servicedesk.feedback",
    "servicedesk.securitylog",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servicedesk.core.middleware.IdleSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "servicedesk.securitylog.middleware.RequireTwoFactorMiddleware",
    "servicedesk.core.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "servicedesk.core.middleware.UndecodableFormMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"
ASGI_APPLICATION = "servicedesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.core.context_processors.desk",
            ],
        },
    },
    {
        # Only the rows of long lists (servicedesk/core/jinja_env.py says why).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "rows",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "servicedesk.core.jinja_env.environment"},
    },
]
# Selects are written out in Python; other widgets use Django's templates
# (servicedesk/core/renderers.py says why).
FORM_RENDERER = "servicedesk.core.renderers.DeskFormRenderer"

DATABASES = {
    # An empty DATABASE_URL (`DATABASE_URL= make test`) means the default too, not a crash.
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before a request reuses it, so a restarted PostgreSQL costs no
# request once it is back (tests/reliability/test_pg_restart.py; off only to show the failure).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web, worker and beat share the SQLite file under `make run`: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock up front so transactions wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:my_work"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lock-out (servicedesk/securitylog): after this many failed sign-ins within the window
# an account, or an address, is refused until the window has passed since the last counted one.
AUTHENTICATION_BACKENDS = ["servicedesk.securitylog.backends.ThrottledModelBackend"]
LOGIN_FAILURE_LIMIT_ACCOUNT = env.int("LOGIN_FAILURE_LIMIT_ACCOUNT", default=5)
LOGIN_FAILURE_LIMIT_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_ADDRESS", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Signed out after this long without a request (servicedesk.core.middleware.IdleSessionMiddleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=120)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Two-factor sign-in (an authenticator app's code) is optional for staff; this makes it required
# for administrators.
TWO_FACTOR_REQUIRED_FOR_ADMINS = env.bool("TWO_FACTOR_REQUIRED_FOR_ADMINS", default=False)
OTP_TOTP_ISSUER = "Service desk"
# API requests per token (or signed-in user) per minute; 0 turns the limit off.
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=600)
# The public survey page (/s/<token>/): answers sent per link, and per client address, in an hour
# (surveys/public.py). A link answers once: the rest refuse retries and floods.
SURVEY_SUBMITS_PER_LINK = env.int("SURVEY_SUBMITS_PER_LINK", default=10)
SURVEY_SUBMITS_PER_ADDRESS = env.int("SURVEY_SUBMITS_PER_ADDRESS", default=60)
# Retention (issue 13, item 7): a daily beat task purges what is older than these many days;
# 0 keeps it forever. Survey free text: the typed answers are emptied, the scores stay for the
# statistics (surveys/retention.py). Attachments: the files and their rows are deleted
# (tickets/retention.py). Counted from the answer's submission / the file's upload.
SURVEY_FREE_TEXT_RETENTION_DAYS = env.int("SURVEY_FREE_TEXT_RETENTION_DAYS", default=0)
ATTACHMENT_RETENTION_DAYS = env.int("ATTACHMENT_RETENTION_DAYS", default=0)

# Internationalisation: English and Simplified Chinese; stored in UTC, shown in the user's zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="servicedesk@localhost")
# A send holds its outbox row's lock while it talks to the server: never wait on it for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery. With no REDIS_URL the broker is kombu's filesystem transport under var/broker, so the
# desk runs on a bare machine; web, worker and beat share the folder as their queue.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
# A publish (from a page, after commit) tries a dead Redis twice, at once, and gives up: kombu's
# default keeps retrying for the whole connection timeout, which a page would wait out. What it
# carried is in the database (event deliveries, the task outbox) for beat's sweep.
# (An env override exists only for tests/reliability/test_redis_outage.py's broken variant.)
REDIS_PUBLISH_OPTIONS = env.json(
    "REDIS_PUBLISH_OPTIONS", default={"max_retries": 1, "interval_start": 0}
)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        # kombu's default is "control" in the working directory, i.e. a folder in the repository.
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        # The folder is polled; kombu's 1 s default makes a local worker crawl through a queue.
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else REDIS_PUBLISH_OPTIONS
)
# Counters shared by every web process (rate limits): Redis when there is one, else a database
# table (created by a migration), so the limits hold across processes on SQLite too. A dead Redis
# must not hang a page: short socket timeouts, and the limiter lets requests through (ratelimit.py).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "desk_cache"}
    )
}
# Pages must not hang on a dead broker: publish fails fast and the task outbox re-sends later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Apps register their periodic tasks (servicedesk.core.periodic); this scheduler reads them.
CELERY_BEAT_SCHEDULER = "servicedesk.core.beat.DeskScheduler"
CELERY_BEAT_SCHEDULE: dict = {}

# Domain events are delivered by a worker after commit; tests may deliver in-process instead.
DESK_EVENTS_SYNC = env.bool("DESK_EVENTS_SYNC", default=False)
# Absolute links in e-mails are built from this (scheme, host and any path prefix).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "servicedesk.core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["servicedesk.core.api.permissions.HasDeskRole"],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.core.api.pagination.DeskPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON only: a form or multipart body is a 415, so the schema declares one body type per write
    # (generated clients need that). The attachment upload alone reads multipart.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["servicedesk.core.api.throttling.TokenRateThrottle"],
    # Declares each operation's error answers and the strict inputs (servicedesk.core.api.schema).
    "DEFAULT_SCHEMA_CLASS": "servicedesk.core.api.schema.DeskAutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.core.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Service Desk API",
    "DESCRIPTION": (
        "Customers, service records, complaints, callbacks and surveys. Authenticate with a "
        "personal API token (`Authorization: Token <key>`) or a browser session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`; name their enums so the schema (and check --deploy) is clean.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.CustomerKind",
        "InteractionKindEnum": "customers.models.InteractionKind",
        "ContactPointKindEnum": "customers.models.ContactPointKind",
        "HistoryKindEnum": "servicedesk.core.audit.HistoryKind",
        "ComplaintStepEnum": "tickets.complaints.models.Step",
    },
}

PHONENUMBER_DEFAULT_REGION = "CN"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_one_line": {"()": "servicedesk.core.logs.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # On the logger, not the handler: every handler (and a test's caplog) gets the one-line 403.
    "loggers": {"django.request": {"filters": ["forbidden_one_line"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
CSRF_FAILURE_VIEW = "servicedesk.core.errors.csrf_failure"
