"""Django settings, all driven by the environment (see llmops/config.py and the README)."""

from pathlib import Path

from celery.schedules import crontab

from llmops.config import MONGODB_ENGINE, Config

BASE_DIR = Path(__file__).resolve().parent.parent
cfg = Config()

DEBUG = cfg.bool("DEBUG", False)
SECRET_KEY = cfg.str("SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = cfg.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = cfg.list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {"default": cfg.database("DATABASE_URL", "sqlite:///var/llmops.sqlite3", base_dir=BASE_DIR)}
IS_MONGODB = DATABASES["default"]["ENGINE"] == MONGODB_ENGINE

if IS_MONGODB:
    # MongoDB needs ObjectId auto fields for Django's contrib apps; their migrations
    # are generated for that and kept in llmops/mongo_migrations.
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    CONTRIB_APPS = [
        "llmops.apps.MongoAdminConfig",
        "llmops.apps.MongoAuthConfig",
        "llmops.apps.MongoContentTypesConfig",
    ]
    MIGRATION_MODULES = {
        "admin": "llmops.mongo_migrations.admin",
        "auth": "llmops.mongo_migrations.auth",
        "contenttypes": "llmops.mongo_migrations.contenttypes",
        "sessions": "llmops.mongo_migrations.sessions",
    }
    DATABASES["default"]["OPTIONS"].setdefault(
        "serverSelectionTimeoutMS", cfg.int("MONGODB_SERVER_SELECTION_TIMEOUT_MS", 5000, minimum=1)
    )
else:
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    CONTRIB_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    MIGRATION_MODULES = {}

INSTALLED_APPS = [
    *CONTRIB_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "llmops.apps.LlmopsConfig",
    "registry",
    "lifecycle",
    "operator_app",
    "discovery",
]
if IS_MONGODB:
    INSTALLED_APPS.insert(0, "django_mongodb_backend")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's CSS/JS from STATIC_ROOT (`collectstatic`) without DEBUG, in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "llmops.urls"
WSGI_APPLICATION = "llmops.wsgi.application"

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the admin's files (relative to the project unless absolute).
STATIC_ROOT = BASE_DIR / cfg.str("STATIC_ROOT", "var/static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed (gzip) copies at collectstatic, served by WhiteNoise. Not the Manifest variant: that
    # one refuses to render any admin page until collectstatic has run (tests, a fresh checkout).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": cfg.str("LOG_LEVEL", "INFO").upper()},
}

# --- links and email -------------------------------------------------------------
LLMOPS_BASE_URL = cfg.url("LLMOPS_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
vars().update(cfg.email("EMAIL_URL", "consolemail://"))
DEFAULT_FROM_EMAIL = cfg.str("DEFAULT_FROM_EMAIL", "llmops@localhost")
HEALTH_REPORT_TO = cfg.list("HEALTH_REPORT_TO", [])
# The report's CRITICAL findings also go here: apprise URLs (Slack, Discord, Teams, ntfy, json:// webhooks…).
ALERT_URLS = cfg.notify_urls("ALERT_URLS")

# --- existing benchmark collections (production names) ---------------------------
BENCHMARK_RESULTS_COLLECTION = cfg.identifier("BENCHMARK_RESULTS_COLLECTION", "benchmark_results")
BENCHMARK_ERRORS_COLLECTION = cfg.identifier("BENCHMARK_ERRORS_COLLECTION", "benchmark_errors")
# The runner's own collections: our migrations may add an index to them, never rewrite, drop or
# rename them (llmops/db/mongodb/schema.py).
RUNNER_COLLECTIONS = (BENCHMARK_RESULTS_COLLECTION, BENCHMARK_ERRORS_COLLECTION)

# --- signals -----------------------------------------------------------------------
SIGNAL_WINDOW_HOURS = cfg.int("SIGNAL_WINDOW_HOURS", 168, minimum=1, maximum=8760)  # lifecycle MAX_WINDOW_HOURS
# No result and no error from a provider (or the fleet) for this long: the runner is silent, and
# nothing is concluded about those models until it writes again (lifecycle/silence.py).
RUNNER_SILENCE_HOURS = cfg.int("RUNNER_SILENCE_HOURS", 6, minimum=1)

# --- operator LLM ------------------------------------------------------------------
OPENAI_API_KEY = cfg.str("OPENAI_API_KEY", "")
OPERATOR_LLM_MODEL = cfg.str("OPERATOR_LLM_MODEL", "gpt-4.1-mini")
OPERATOR_LLM_BASE_URL = cfg.url("OPERATOR_LLM_BASE_URL", "", schemes=("http", "https"))
OPERATOR_LLM_TIMEOUT = cfg.float("OPERATOR_LLM_TIMEOUT", 60.0, minimum=0.1)
OPERATOR_LLM_MAX_RETRIES = cfg.int("OPERATOR_LLM_MAX_RETRIES", 2, minimum=0)
OPERATOR_LLM_BATCH_TOKENS = cfg.int("OPERATOR_LLM_BATCH_TOKENS", 12000, minimum=500)
# USD per million tokens, for the run's cost estimate.
OPERATOR_LLM_PROMPT_PRICE = cfg.float("OPERATOR_LLM_PROMPT_PRICE", 0.40, minimum=0)
OPERATOR_LLM_COMPLETION_PRICE = cfg.float("OPERATOR_LLM_COMPLETION_PRICE", 1.60, minimum=0)
# Sent to models that accept it; "none" (or empty) leaves it out (reasoning models refuse it; a 400
# saying so is retried once without it anyway).
OPERATOR_LLM_TEMPERATURE = (None if cfg.str("OPERATOR_LLM_TEMPERATURE", "0").lower() in ("", "none")
                            else cfg.float("OPERATOR_LLM_TEMPERATURE", 0.0, minimum=0.0, maximum=2.0))
# Extra completion tokens per call for models that think before they answer (o-series, gpt-5…).
OPERATOR_LLM_REASONING_TOKENS = cfg.int("OPERATOR_LLM_REASONING_TOKENS", 0, minimum=0)
# Consecutive failed or timed-out batches after which the rest of a pass goes without the LLM.
OPERATOR_LLM_MAX_FAILED_BATCHES = cfg.int("OPERATOR_LLM_MAX_FAILED_BATCHES", 2, minimum=1)
# An answer is reused while its situation is unchanged, this long (0: never reuse).
OPERATOR_LLM_ANSWER_TTL_HOURS = cfg.int("OPERATOR_LLM_ANSWER_TTL_HOURS", 24, minimum=0)
# Estimated spend per UTC day after which the LLM is not asked again that day ("none": no limit).
OPERATOR_LLM_DAILY_BUDGET_USD = (None if cfg.str("OPERATOR_LLM_DAILY_BUDGET_USD", "1.00").lower() in ("", "none")
                                 else cfg.float("OPERATOR_LLM_DAILY_BUDGET_USD", 1.00, minimum=0.0))

# --- operator policy ---------------------------------------------------------------
OPERATOR_AUTO_EXECUTE = cfg.bool("OPERATOR_AUTO_EXECUTE", True)  # the kill switch
OPERATOR_AUTO_CONFIDENCE = cfg.float("OPERATOR_AUTO_CONFIDENCE", 0.95, minimum=0.5, maximum=1.0)
OPERATOR_HARD_STREAK_HOURS = cfg.int("OPERATOR_HARD_STREAK_HOURS", 48, minimum=1)
OPERATOR_MAX_AUTO_PER_RUN = cfg.int("OPERATOR_MAX_AUTO_PER_RUN", 10, minimum=0)
OPERATOR_MAX_AUTO_PER_PROVIDER = cfg.int("OPERATOR_MAX_AUTO_PER_PROVIDER", 3, minimum=0)
OPERATOR_RECHECK_HOURS = cfg.int("OPERATOR_RECHECK_HOURS", 72, minimum=1)
# A human verdict holds a proposal on the same evidence this long; after it, the question reopens for a human.
OPERATOR_VERDICT_TTL_DAYS = cfg.int("OPERATOR_VERDICT_TTL_DAYS", 14, minimum=1)
# The operator lock is a lease its pass renews as it works (operator_app.locking): a killed pass
# blocks the next one for this long at most. It must outlast the longest step between two
# renewals, one LLM call with its retries.
OPERATOR_LOCK_LEASE = cfg.int("OPERATOR_LOCK_LEASE", 300, minimum=30)
# (+2: the SDK's retries, the call itself, and the one retry without temperature a reasoning model may need.)
if OPERATOR_LOCK_LEASE < OPERATOR_LLM_TIMEOUT * (OPERATOR_LLM_MAX_RETRIES + 2):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"OPERATOR_LOCK_LEASE ({OPERATOR_LOCK_LEASE}s) must be at least OPERATOR_LLM_TIMEOUT x "
        f"(OPERATOR_LLM_MAX_RETRIES + 2) = {OPERATOR_LLM_TIMEOUT * (OPERATOR_LLM_MAX_RETRIES + 2):.0f}s: a pass "
        "renews its lease between LLM calls, so one call with its retries must not outlast it")

# --- discovery ---------------------------------------------------------------------
OPENROUTER_MODELS_URL = cfg.url(
    "OPENROUTER_MODELS_URL", "https://openrouter.ai/api/v1/models", schemes=("http", "https")
)
OPENROUTER_API_KEY = cfg.str("OPENROUTER_API_KEY", "")
HTTP_TIMEOUT = cfg.float("HTTP_TIMEOUT", 30.0, minimum=0.1)
HTTP_RETRIES = cfg.int("HTTP_RETRIES", 3, minimum=0)
HTTP_MAX_RESPONSE_BYTES = cfg.int("HTTP_MAX_RESPONSE_BYTES", 20 * 1024 * 1024, minimum=1024)
DISCOVERY_LLM_BATCH = cfg.int("DISCOVERY_LLM_BATCH", 20, minimum=1)  # ambiguous entries per LLM call
DISCOVERY_PROBE_ATTEMPTS = cfg.int("DISCOVERY_PROBE_ATTEMPTS", 3, minimum=1)  # guesses per unlisted provider

# Direct providers: <NAME>_API_KEY and <NAME>_BASE_URL per provider.
PROVIDER_DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "groq": "https://api.groq.com/openai/v1",
    "together": "https://api.together.xyz/v1",
    "fireworks": "https://api.fireworks.ai/inference/v1",
    "cerebras": "https://api.cerebras.ai/v1",
    "deepinfra": "https://api.deepinfra.com/v1/openai",
    "mistral": "https://api.mistral.ai/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "xai": "https://api.x.ai/v1",
    # Probes only (lifecycle/probes.py): OpenRouter's catalog is fetched from OPENROUTER_MODELS_URL.
    "openrouter": "https://openrouter.ai/api/v1",
}
PROVIDERS = {
    name: {
        "api_key": cfg.str(f"{name.upper()}_API_KEY", ""),
        "base_url": cfg.url(f"{name.upper()}_BASE_URL", default, schemes=("http", "https")).rstrip("/"),
    }
    for name, default in PROVIDER_DEFAULT_BASE_URLS.items()
}

# --- probes: recheck, admission, retirement (lifecycle/probes.py, operator_app/recovery.py) ----
# One minimal real request per model; a run makes at most this many (oldest due first), and at
# most PROBE_MAX_PER_PROVIDER to one provider, so a backlog drains over runs at a known cost.
PROBE_MAX_PER_RUN = cfg.int("PROBE_MAX_PER_RUN", 50, minimum=0)
PROBE_MAX_PER_PROVIDER = cfg.int("PROBE_MAX_PER_PROVIDER", 10, minimum=0)
# A candidate with two successful probes becomes an enable decision; true lets it run unattended
# (within the kill switch, the caps and human verdicts), false leaves it for a human.
ADMISSION_AUTO_ENABLE = cfg.bool("ADMISSION_AUTO_ENABLE", False)

# --- Celery ------------------------------------------------------------------------
REDIS_URL = cfg.url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss", "unix"))
CELERY_BROKER_URL = cfg.url(
    "CELERY_BROKER_URL", REDIS_URL, schemes=("redis", "rediss", "unix", "amqp", "memory")
)
CELERY_RESULT_BACKEND = cfg.str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = cfg.bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = cfg.int("CELERY_TASK_TIME_LIMIT", 3600, minimum=10)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Periodic jobs never overlap: each takes a Redis lock that expires after this many seconds. A
# worker killed at the hard time limit never releases its lock, so the lock must not outlive
# the limit by much (the next run would be skipped for nothing), nor expire before it (a run
# still going could overlap the next).
JOB_LOCK_TTL = cfg.int("JOB_LOCK_TTL", CELERY_TASK_TIME_LIMIT + 60, minimum=10)
if not CELERY_TASK_TIME_LIMIT <= JOB_LOCK_TTL <= CELERY_TASK_TIME_LIMIT + 600:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"JOB_LOCK_TTL ({JOB_LOCK_TTL}s) must be between CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}s) and "
        f"CELERY_TASK_TIME_LIMIT + 600: shorter lets a run still going overlap the next, longer makes a killed "
        "run block the next ones for nothing")


def _cron(name: str, default: str) -> crontab:
    """A beat schedule entry from "m h dom mon dow", overridable with SCHEDULE_<NAME>."""
    variable = f"SCHEDULE_{name.upper()}"
    value = cfg.str(variable, default)
    fields = value.split()
    if len(fields) != 5:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{variable}: expected 5 cron fields 'm h dom mon dow', got {value!r}")
    try:
        return crontab(*fields)
    except Exception as exc:  # celery raises ValueError subclasses for bad cron text
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{variable}: invalid cron expression {value!r} ({exc})") from None


CELERY_BEAT_SCHEDULE = {
    "collect-signals": {"task": "lifecycle.tasks.collect_signals", "schedule": _cron("collect_signals", "5 * * * *")},
    "run-operator": {"task": "operator_app.tasks.run_operator", "schedule": _cron("run_operator", "20 */3 * * *")},
    "sync-provider-catalogs": {
        "task": "discovery.tasks.sync_provider_catalogs",
        "schedule": _cron("sync_provider_catalogs", "0 6 * * *"),
    },
    "fetch-openrouter": {"task": "discovery.tasks.fetch_openrouter", "schedule": _cron("fetch_openrouter", "10 6 * * *")},
    "match-catalog": {"task": "discovery.tasks.match_catalog", "schedule": _cron("match_catalog", "30 6 * * *")},
    "recheck-models": {"task": "operator_app.tasks.recheck_models", "schedule": _cron("recheck_models", "40 5 * * *")},
    "send-health-report": {
        "task": "operator_app.tasks.send_health_report",
        "schedule": _cron("send_health_report", "0 8 * * *"),
    },
}
