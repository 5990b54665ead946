"""Environment-driven configuration.

Every setting is read here, with a documented default (see README "Configuration").
A bad value raises ImproperlyConfigured naming the variable, so the process fails at
start-up instead of misbehaving later.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from llmops.lib.text import redact_url

# django-mongodb-backend with a schema editor that adopts an existing database (llmops/db/mongodb).
MONGODB_ENGINE = "llmops.db.mongodb"
MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")


class Config:
    """Typed accessors over an environment mapping (os.environ by default)."""

    def __init__(self, environ_map=None):
        self.env = environ.Env()
        if environ_map is not None:
            self.env.ENVIRON = dict(environ_map)

    def raw(self, name: str, default: str = "") -> str:
        return str(self.env.ENVIRON.get(name, default)).strip()

    def str(self, name: str, default: str = "") -> str:
        return self.raw(name, default)

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name, "")
        if value == "":
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ImproperlyConfigured(f"{name}: expected a boolean (true/false/1/0), got {value!r}")

    def int(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.raw(name, "")
        if value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: expected an integer, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}: must be >= {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ImproperlyConfigured(f"{name}: must be <= {maximum}, got {number}")
        return number

    def float(self, name: str, default: float, *, minimum: float | None = None,
              maximum: float | None = None) -> float:
        value = self.raw(name, "")
        if value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: expected a number, got {value!r}") from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise ImproperlyConfigured(
                f"{name}: must be within [{minimum}, {maximum}], got {number}"
            )
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name, "")
        if value == "":
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        value = self.raw(name, default)
        if value == "":
            return value
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ImproperlyConfigured(
                f"{name}: expected a URL with scheme {'/'.join(schemes)}, got {redact_url(value)!r}"
            )
        return value

    def notify_urls(self, name: str) -> list[str]:
        """Comma-separated apprise URLs (`slack://…`, `json://host/path`…); each must name a scheme.
        The message never repeats a URL: they carry the channels' tokens."""
        urls = self.list(name, [])
        for index, url in enumerate(urls, start=1):
            scheme, sep, rest = url.partition("://")
            if not sep or not rest or not scheme.replace("+", "").isalnum():
                raise ImproperlyConfigured(f"{name}: item #{index} is not a URL like slack://… or json://host/path")
        return urls

    def identifier(self, name: str, default: str) -> str:
        """A collection/table name: letters, digits and underscores only."""
        value = self.raw(name, default)
        if not value or not all(ch.isalnum() or ch == "_" for ch in value):
            raise ImproperlyConfigured(
                f"{name}: expected a collection name of letters, digits and underscores, got {value!r}"
            )
        return value

    def database(self, name: str, default: str, *, base_dir: Path) -> dict:
        return database_from_url(self.raw(name, default), base_dir=base_dir, variable=name)

    def email(self, name: str, default: str) -> dict:
        value = self.raw(name, default)
        try:
            config = self.env.email_url_config(value)
        except Exception as exc:  # django-environ raises several types for bad URLs
            raise ImproperlyConfigured(f"{name}: not a valid email URL ({exc})") from None
        if not config.get("EMAIL_BACKEND"):
            raise ImproperlyConfigured(f"{name}: unknown email URL scheme in {redact_url(value)!r}")
        return config


def database_from_url(url: str, *, base_dir: Path, variable: str = "DATABASE_URL") -> dict:
    """Turn DATABASE_URL into a DATABASES entry for SQLite, PostgreSQL or MongoDB."""
    if url.startswith(MONGO_SCHEMES):
        path = urlsplit(url).path.lstrip("/")
        name = path.split("/")[0] if path else ""
        if not name:
            raise ImproperlyConfigured(
                f"{variable}: a MongoDB URI must name the database in its path "
                f"(mongodb+srv://host/llmops), got {redact_url(url)!r}"
            )
        # The whole URI goes to HOST (credentials and options included); the backend
        # reads the database name from NAME.
        return {"ENGINE": MONGODB_ENGINE, "HOST": url, "NAME": name, "OPTIONS": {}}
    scheme = urlsplit(url).scheme
    if scheme in ("sqlite", "sqlite3"):
        config = environ.Env.db_url_config(url)
        name = config["NAME"]
        if name != ":memory:" and not Path(name).is_absolute():
            name = str(base_dir / name)
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if scheme in ("postgres", "postgresql", "pgsql"):
        config = environ.Env.db_url_config(url)
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{variable}: a PostgreSQL URL must name the database")
        config["ENGINE"] = "django.db.backends.postgresql"
        return config
    raise ImproperlyConfigured(
        f"{variable}: unsupported database URL {redact_url(url)!r}; use sqlite:///path, "
        "postgres://user@host/db or mongodb[+srv]://host/db"
    )
