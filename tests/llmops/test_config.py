import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from llmops.config import Config, database_from_url
from llmops.lib.text import redact_url

ROOT = Path(__file__).resolve().parents[2]


def test_it_defaults_to_sqlite_under_the_project(tmp_path):
    db = database_from_url("sqlite:///var/x/llmops.sqlite3", base_dir=tmp_path)
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "var/x/llmops.sqlite3")}
    assert (tmp_path / "var/x").is_dir()  # created on demand


def test_it_keeps_absolute_sqlite_paths(tmp_path):
    db = database_from_url(f"sqlite:///{tmp_path}/a.db", base_dir=Path("/nowhere"))
    assert db["NAME"] == f"{tmp_path}/a.db"


def test_it_parses_postgres_urls(tmp_path):
    db = database_from_url("postgres://bob:secret@db.local:6432/llmops", base_dir=tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == ("llmops", "bob", "secret", "db.local", 6432)


@pytest.mark.parametrize(
    "url,name",
    [
        ("mongodb://127.0.0.1:27017/bench", "bench"),
        ("mongodb+srv://user:pw@cluster0.example.net/prod?retryWrites=true&w=majority", "prod"),
    ],
)
def test_it_selects_mongodb_for_mongo_uris(url, name, tmp_path):
    db = database_from_url(url, base_dir=tmp_path)
    assert db["ENGINE"] == "llmops.db.mongodb"
    assert db["NAME"] == name
    assert db["HOST"] == url


def test_it_requires_a_database_name_in_mongo_uris(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL.*must name the database"):
        database_from_url("mongodb://user:pw@host:27017/", base_dir=tmp_path)


def test_it_rejects_unknown_schemes_without_leaking_passwords(tmp_path):
    with pytest.raises(ImproperlyConfigured) as info:
        database_from_url("mysql://root:hunter2@localhost/db", base_dir=tmp_path)
    assert "DATABASE_URL" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert redact_url("redis://:pw@h:1/0") == "redis://:***@h:1/0"


@pytest.mark.parametrize(
    "method,args,bad",
    [
        ("bool", ("DEBUG", False), "maybe"),
        ("int", ("SIGNAL_WINDOW_HOURS", 168), "a week"),
        ("float", ("OPERATOR_AUTO_CONFIDENCE", 0.95), "high"),
    ],
)
def test_it_names_the_variable_on_bad_values(method, args, bad):
    cfg = Config({args[0]: bad})
    with pytest.raises(ImproperlyConfigured, match=args[0]):
        getattr(cfg, method)(*args)


def test_it_enforces_ranges_and_parses_lists():
    with pytest.raises(ImproperlyConfigured, match="OPERATOR_AUTO_CONFIDENCE"):
        Config({"OPERATOR_AUTO_CONFIDENCE": "1.5"}).float("OPERATOR_AUTO_CONFIDENCE", 0.95, minimum=0.5, maximum=1)
    with pytest.raises(ImproperlyConfigured, match="SIGNAL_WINDOW_HOURS"):
        Config({"SIGNAL_WINDOW_HOURS": "0"}).int("SIGNAL_WINDOW_HOURS", 168, minimum=1)
    assert Config({"HEALTH_REPORT_TO": "a@x.io, b@x.io,"}).list("HEALTH_REPORT_TO", []) == ["a@x.io", "b@x.io"]
    assert Config({}).bool("OPERATOR_AUTO_EXECUTE", True) is True
    assert Config({"X": "off"}).bool("X", True) is False


def test_it_validates_collection_names_and_urls():
    with pytest.raises(ImproperlyConfigured, match="BENCHMARK_ERRORS_COLLECTION"):
        Config({"BENCHMARK_ERRORS_COLLECTION": "errors; drop"}).identifier("BENCHMARK_ERRORS_COLLECTION", "e")
    with pytest.raises(ImproperlyConfigured, match="LLMOPS_BASE_URL"):
        Config({"LLMOPS_BASE_URL": "ftp://x"}).url("LLMOPS_BASE_URL", "", schemes=("http", "https"))


def _manage(*args, **env):
    full_env = {**os.environ, **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "variable,value",
    [
        ("DATABASE_URL", "oracle://scott:tiger@db/orcl"),
        ("OPERATOR_AUTO_CONFIDENCE", "certain"),
        ("SCHEDULE_RUN_OPERATOR", "every three hours"),
        ("EMAIL_URL", "pigeon://coop"),
        # A Redis job lock that outlives the hard time limit by hours: a killed worker's lock would
        # skip the next runs for nothing (issue #13).
        ("JOB_LOCK_TTL", "10800"),
        ("JOB_LOCK_TTL", "600"),
        # A lease shorter than one LLM call with its retries (60 s x 3) would lapse mid-call.
        ("OPERATOR_LOCK_LEASE", "120"),
        ("SIGNAL_WINDOW_HOURS", "999999999999"),
    ],
)
def test_it_fails_at_startup_naming_the_variable(variable, value):
    proc = _manage("check", **{variable: value})
    assert proc.returncode != 0
    assert variable in proc.stderr
    assert "tiger" not in proc.stderr


def test_it_ties_the_job_lock_to_the_task_time_limit_by_default():
    from django.conf import settings

    assert settings.CELERY_TASK_TIME_LIMIT <= settings.JOB_LOCK_TTL <= settings.CELERY_TASK_TIME_LIMIT + 600
    assert settings.OPERATOR_LOCK_LEASE < settings.JOB_LOCK_TTL


def test_it_starts_with_mongodb_settings_without_a_server():
    proc = _manage("check", DATABASE_URL="mongodb://127.0.0.1:1/llmops")
    assert proc.returncode == 0, proc.stderr
