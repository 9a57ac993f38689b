"""Settings for the playground, read from environment variables with local defaults (see docs/configuration.md)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A learner's own machine, as `make run` starts it (the default): the page's tools that change things are on, the
# page names the local addresses, the web process serves /static/ itself, and a fixed development secret key stands
# in for a missing one. Off (0) wherever others can reach the playground.
PLAYGROUND_LOCAL = env_bool("PLAYGROUND_LOCAL", True)
# Django's debug pages (tracebacks with settings, paths and addresses): only when asked for.
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not PLAYGROUND_LOCAL:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when PLAYGROUND_LOCAL is off")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# A websocket is accepted from its own origin: the Origin's scheme, host and port equal the socket's own (its Host
# header, and ws/wss), with the host in ALLOWED_HOSTS (playground/websocket_origin.py). These exact origins
# (scheme://host[:port]) are accepted besides, e.g. a page served from another host behind a proxy.
WEBSOCKET_ALLOWED_ORIGINS = env_list("DJANGO_WEBSOCKET_ALLOWED_ORIGINS", "")

INSTALLED_APPS = [
    # daphne first: it replaces runserver with an ASGI server that also speaks websockets.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # The domain, then one room per capability (README, "Where things are").
    "orders",
    "messaging",
    "outbox",
    "rest_api",
    "grpc_bridge",
    "live",
    "topic_search",
    "fulfilment",
    "dashboard",
    "tracing",
    "topics",
    "system_map",
    "metrics",
    "labs",
]

MIDDLEWARE = [
    # First, to see every other layer's answer: errors on the API's paths in JSON, never Django's HTML pages.
    "playground.api_errors.api_errors_as_json",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "playground.request_limits.json_nesting_limit",
]

# What one HTTP request may be (playground/request_limits.py); the web server refuses more before it reads it, with
# a JSON error: a body over this many bytes (413, before a byte of it is read when Content-Length says so; Django's
# own limit is the same), a URL longer than this (414), more query parameters than this (400; Django's limit on
# fields is the same), a body nested deeper than this (400).
REQUEST_MAX_BODY_BYTES = int(os.environ.get("REQUEST_MAX_BODY_BYTES", 2621440))
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
REQUEST_MAX_URL_BYTES = int(os.environ.get("REQUEST_MAX_URL_BYTES", 8192))
REQUEST_MAX_QUERY_PARAMS = int(os.environ.get("REQUEST_MAX_QUERY_PARAMS", 1000))
DATA_UPLOAD_MAX_NUMBER_FIELDS = REQUEST_MAX_QUERY_PARAMS
REQUEST_MAX_JSON_DEPTH = int(os.environ.get("REQUEST_MAX_JSON_DEPTH", 64))

# Content-Security-Policy (django-csp) on every response: scripts, styles, images, fetch() and the websocket only
# from this site, and no inline script (the dashboard passes its config as json_script, which is data). The
# Swagger UI and the browsable API need inline styles: they loosen that for themselves only (playground/urls.py,
# rest_api/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "playground.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The page's and the API's own templates, by app name inside; APP_DIRS finds Django's, DRF's and the admin's.
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

WSGI_APPLICATION = "playground.wsgi.application"
ASGI_APPLICATION = "playground.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # 0 by default: Django advises against persistent connections under ASGI (runserver here). rungrpc and
        # the publisher run with 60 (Procfile), which tripled gRPC Create throughput (bench/grpc_create.py).
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", 0)),
        conn_health_checks=True,
    ),
}
# On PostgreSQL, a pool of at most this many connections per process (psycopg_pool); 0: none. The ASGI web server
# runs each request on a thread of its own, so without a pool every request opened a connection, for which
# PostgreSQL forks a backend (~3 ms of its CPU per REST create in bench/rest_create.py). `make run` and `make cluster`
# pool their web processes (Procfile, Procfile.cluster); rungrpc and the publisher keep their connections instead
# (DATABASE_CONN_MAX_AGE; Django refuses both).
DATABASE_POOL = int(os.environ.get("DATABASE_POOL", 0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL:
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": DATABASE_POOL}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (the outbox publisher, the API) run while a writer commits; IMMEDIATE
    # takes the write lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so the test server threads share the test database; it sits beside the real one.
    _sqlite_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_sqlite_file.with_name(f"test-{_sqlite_file.name}"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".staticfiles"
# The project's own files (the site icon), and the page's chart library as `make install` put it in node_modules
# (npm ci, pinned by package-lock.json): served from /static/uplot/, never from a CDN. The apps' files come from their
# static/ folders.
STATICFILES_DIRS = [BASE_DIR / "playground" / "static", ("uplot", BASE_DIR / "node_modules" / "uplot" / "dist")]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Behind TLS, turn these on (DJANGO_HTTPS=1); `check --deploy` warns about them otherwise.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "rest_api.parsers.SafeJSONParser",
        # The browsable API posts its forms as form data; JSON clients never need these.
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # DRF's, naming the page's language (rest_api/renderers.py).
        "rest_api.renderers.BrowsableAPIRenderer",
    ],
    # The playground is a local learning tool: no login stands between a learner and the API. This class logs
    # nobody in; it refuses what another site's page could send with a visitor's browser (a form post without
    # this site's CSRF token), while JSON clients need no token (rest_api/authentication.py).
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_api.authentication.CrossSiteFormCsrf"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "rest_api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Message Passing Playground API",
    "DESCRIPTION": "Computer orders over REST; every change is also an event on the Kafka topic `orders`.",
    "VERSION": "1.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from drf-spectacular-sidecar: the docs work with no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    # The site's own icon (playground/static), as on every other page.
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL}playground/favicon.svg",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's one authentication class is a CSRF guard, not a security scheme a client could use.
    "AUTHENTICATION_WHITELIST": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rest_api.schema.refuse_unknown_fields",
    ],
}

KAFKA_BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
KAFKA_ORDERS_TOPIC = os.environ.get("KAFKA_ORDERS_TOPIC", "orders")
KAFKA_ORDERS_PARTITIONS = int(os.environ.get("KAFKA_ORDERS_PARTITIONS", 3))
# 1 for the local single broker; 3 on a real cluster (with min.insync.replicas=2 on the broker).
KAFKA_REPLICATION_FACTOR = int(os.environ.get("KAFKA_REPLICATION_FACTOR", 1))
# Where the dashboard's gRPC gateway finds rungrpc, and how long one call may take.
GRPC_TARGET = os.environ.get("GRPC_TARGET", "127.0.0.1:50051")
GRPC_CALL_TIMEOUT = float(os.environ.get("GRPC_CALL_TIMEOUT", 5))
# rungrpc's bounds on every stream (grpc_bridge/stream_limits.py): one waiting on its client (for its next message,
# or to read) longer than this is cancelled; none lives longer than the other (Watch ends itself with OK then).
GRPC_STREAM_IDLE_SECONDS = float(os.environ.get("GRPC_STREAM_IDLE_SECONDS", 30))
GRPC_STREAM_MAX_SECONDS = float(os.environ.get("GRPC_STREAM_MAX_SECONDS", 3600))
# ... and on every call's one request: a call that has not sent it this long after it began is cancelled.
GRPC_REQUEST_WAIT_SECONDS = float(os.environ.get("GRPC_REQUEST_WAIT_SECONDS", 5))
# The publisher listens here (UDP, this host) for a nudge after each commit; empty turns nudges off.
OUTBOX_WAKEUP_ADDR = os.environ.get("OUTBOX_WAKEUP_ADDR", "127.0.0.1:8787")
# How often the publisher looks at the outbox when no nudge arrives (a publisher on another host, a lost one).
OUTBOX_POLL_SECONDS = float(os.environ.get("OUTBOX_POLL_SECONDS", 0.5))
# An event the broker refuses for itself this many times is parked (`manage.py outbox list`).
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 3))
# /health says "degraded" when the oldest waiting event is older than this (or any event is parked).
OUTBOX_STALE_SECONDS = float(os.environ.get("OUTBOX_STALE_SECONDS", 30))

# The fulfilment worker (fulfilment/): its consumer group, the seconds each step of an order takes (slow enough to
# watch), the share of orders it fails, and whether the page may steer it (pause, members, kill, delivery mode,
# the local broker). Controls are on for a local playground and answer 403 when off.
FULFILMENT_GROUP = os.environ.get("FULFILMENT_GROUP", "fulfilment")
FULFILMENT_STEP_DELAY_MS = int(os.environ.get("FULFILMENT_STEP_DELAY_MS", 1000))
FULFILMENT_FAILURE_RATE = float(os.environ.get("FULFILMENT_FAILURE_RATE", 0.1))
FULFILMENT_CONTROLS = env_bool("FULFILMENT_CONTROLS", PLAYGROUND_LOCAL)
# An order QUEUED or PROCESSING this long with no member working on it is stuck (`manage.py fulfilment stuck`);
# the worker's supervisor drives stuck orders on every this many seconds (0: only on request).
FULFILMENT_STUCK_AFTER_SECONDS = float(os.environ.get("FULFILMENT_STUCK_AFTER_SECONDS", 30))
FULFILMENT_RECOVERY_SECONDS = float(os.environ.get("FULFILMENT_RECOVERY_SECONDS", 10))
# Whether the page may produce records of its own to the topic (the workbench); the endpoint answers 403 when off.
WORKBENCH_PRODUCE = env_bool("WORKBENCH_PRODUCE", PLAYGROUND_LOCAL)
# Whether the page may call any method rungrpc lists (the gRPC workbench); its endpoints answer 403 when off.
WORKBENCH_GRPC = env_bool("WORKBENCH_GRPC", PLAYGROUND_LOCAL)
# The local broker `make run` started writes its pid here; the page can stop and start only that one.
LOCAL_KAFKA_PIDFILE = Path(os.environ.get("LOCAL_KAFKA_PIDFILE", BASE_DIR / ".kafka" / "run.json"))
# `make cluster`'s three brokers write their pids here; the durability lab can crash, stop and restart only those.
LOCAL_KAFKA_CLUSTER_FILE = Path(os.environ.get("LOCAL_KAFKA_CLUSTER_FILE", BASE_DIR / ".kafka" / "cluster.json"))

# Websockets one web process serves at once; one more is accepted and closed with code 4029.
RELAY_MAX_SOCKETS = int(os.environ.get("RELAY_MAX_SOCKETS", 500))
# Bytes of frames one websocket may have queued (written, not yet read by its client, plus live frames held while
# it replays); a client that falls further behind is closed with code 4008 and resumes from its offsets.
RELAY_SOCKET_BUDGET_BYTES = int(os.environ.get("RELAY_SOCKET_BUDGET_BYTES", 8 * 1024 * 1024))
# The most of one key, value or header value a record frame carries; the rest is cut ("truncated": true).
RELAY_FRAME_FIELD_MAX_BYTES = int(os.environ.get("RELAY_FRAME_FIELD_MAX_BYTES", 128 * 1024))

# Tracing (tracing/): on in every process that names itself with OTEL_SERVICE_NAME (the Procfiles do); its spans
# are kept in the database, the newest TRACING_MAX_SPANS, and also sent over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
# is set. Requests to these paths (the page's polls and its files) start no trace.
TRACING = env_bool("TRACING", True)
TRACING_MAX_SPANS = int(os.environ.get("TRACING_MAX_SPANS", 200_000))
# Traces a process starts itself (a call or a record that came without a sampled `traceparent`) are kept up to this
# many a second; a trace the caller started and sampled (the page's click) always is (tracing/sampling.py).
# 0 keeps only those; OTEL_TRACES_SAMPLER, when set, overrides it (`parentbased_always_on`: every trace).
TRACING_NEW_TRACES_PER_SECOND = float(os.environ.get("TRACING_NEW_TRACES_PER_SECOND", 10))
TRACING_EXCLUDED_URLS = os.environ.get(
    "TRACING_EXCLUDED_URLS", "static/,health,favicon.ico,fulfilment/state,tracing/,kafka/,system/,metrics/"
)
# The map's presence registry (system_map/): each named process writes its heartbeat this often; a row not seen
# for SYSTEM_PRESENCE_GONE_BEATS beats is shown as gone, and one not seen for an hour is deleted.
SYSTEM_PRESENCE_SECONDS = float(os.environ.get("SYSTEM_PRESENCE_SECONDS", 2.0))
SYSTEM_PRESENCE_GONE_BEATS = 3
# The charts (metrics/): `manage.py sample_metrics` reads the orders topic's end offsets and each group's lag every
# METRICS_SAMPLE_SECONDS and keeps the last METRICS_WINDOW_SECONDS of them (older samples are deleted); the latency
# charts read the spans of the same window.
METRICS_SAMPLE_SECONDS = float(os.environ.get("METRICS_SAMPLE_SECONDS", 2))
METRICS_WINDOW_SECONDS = int(os.environ.get("METRICS_WINDOW_SECONDS", 15 * 60))
# Searching a topic on the server (/ws/search/, topic_search/): searches one web process runs at once, and the
# ceilings of each search's bounds (a search that names no bound gets the ceiling): records and bytes scanned,
# seconds spent, matches sent.
SEARCH_MAX_CONCURRENT = int(os.environ.get("SEARCH_MAX_CONCURRENT", 4))
SEARCH_MAX_RECORDS = int(os.environ.get("SEARCH_MAX_RECORDS", 5_000_000))
SEARCH_MAX_BYTES = int(os.environ.get("SEARCH_MAX_BYTES", 1024 * 1024 * 1024))
SEARCH_MAX_SECONDS = float(os.environ.get("SEARCH_MAX_SECONDS", 60))
SEARCH_MAX_MATCHES = int(os.environ.get("SEARCH_MAX_MATCHES", 500))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[{asctime}] {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # The domain and the rooms that serve it (the publisher, the relay, the gRPC server, ...).
        **{
            room: {"level": os.environ.get("ORDERS_LOG_LEVEL", "INFO")}
            for room in (
                "orders",
                "outbox",
                "live",
                "topic_search",
                "messaging",
                "grpc_bridge",
                "rest_api",
                "dashboard",
            )
        },
        # One line per record a member handles: what the worker did, as it happens.
        "fulfilment": {"level": os.environ.get("FULFILMENT_LOG_LEVEL", "INFO")},
        # kafka-python logs every reconnect attempt at WARNING/ERROR while a broker is down.
        "kafka": {"level": "CRITICAL"},
        # runserver already prints each request; without this the root handler prints it twice.
        "django.channels.server": {"propagate": False},
    },
}
