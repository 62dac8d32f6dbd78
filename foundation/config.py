"""Configuration from the environment (12-factor), with safe embedded defaults.

Kept free of Django settings state so the rules can be unit-tested: each helper takes
the environment mapping it reads, and a bad value raises ``ImproperlyConfigured``
instead of silently falling back to a default.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, default).strip()


def env_bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}")


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_settings(env: Mapping[str, str], var_dir: Path) -> dict[str, Any]:
    """``DATABASE_URL`` → PostgreSQL with persistent connections; unset → SQLite in WAL mode."""
    url = env_str(env, "DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var_dir / "db.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the
                # write lock at BEGIN so concurrent writers queue instead of failing mid-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL (or unset for SQLite), got {url.split(':')[0]}://…")
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=env_int(env, "DATABASE_CONN_MAX_AGE", 600, minimum=0),
            conn_health_checks=True,
        )
    )
    config["ENGINE"] = "django.db.backends.postgresql"
    return config


def broker_settings(env: Mapping[str, str], var_dir: Path) -> tuple[str, dict[str, Any]]:
    """``CELERY_BROKER_URL`` (or ``REDIS_URL``) → that broker; unset → kombu's filesystem transport.

    The filesystem transport needs no server, so the embedded mode still runs a real worker
    and beat that exchange real messages through ``var/broker/``.
    """
    url = env_str(env, "CELERY_BROKER_URL") or env_str(env, "REDIS_URL")
    if url:
        if not url.startswith(("redis://", "rediss://", "amqp://", "memory://")):
            raise ImproperlyConfigured(f"CELERY_BROKER_URL must be a redis:// or amqp:// URL, got {url.split(':')[0]}://…")
        return url, {"visibility_timeout": 3600}
    folder = var_dir / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        # kombu keeps exchange bindings here; its default is ./control in the working directory.
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }


def secret_key(env: Mapping[str, str], var_dir: Path, *, production: bool) -> str:
    """``SECRET_KEY`` from the environment; in embedded mode generated once into ``var/``."""
    key = env_str(env, "SECRET_KEY")
    if key:
        if production and (len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")):
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production")
        return key
    if production:
        raise ImproperlyConfigured("SECRET_KEY must be set when ESCALATION_PRODUCTION is on")
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Create exclusively so two processes starting together agree on one key.
    try:
        with open(path, "x") as handle:
            handle.write(key)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return key


def cache_settings(env: Mapping[str, str], var_dir: Path) -> dict[str, Any]:
    """``REDIS_URL`` → Redis cache shared by every process; unset → a file cache under ``var/``."""
    url = env_str(env, "REDIS_URL")
    if url:
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(var_dir / "cache"),
        }
    }
