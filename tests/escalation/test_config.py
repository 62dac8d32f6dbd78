"""Settings come only from the environment, with safe embedded defaults and loud errors."""

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from foundation import config


def test_bad_boolean_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        config.env_bool({"DEBUG": "maybe"}, "DEBUG")
    assert config.env_bool({"DEBUG": "Yes"}, "DEBUG") is True
    assert config.env_bool({}, "DEBUG", default=True) is True


def test_bad_integer_and_minimum_are_errors() -> None:
    with pytest.raises(ImproperlyConfigured, match="must be an integer"):
        config.env_int({"N": "ten"}, "N", 1)
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        config.env_int({"N": "0"}, "N", 1, minimum=1)
    assert config.env_int({"N": " 7 "}, "N", 1) == 7


def test_no_database_url_means_sqlite_in_wal_mode_under_var(tmp_path: Path) -> None:
    db = config.database_settings({}, tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_postgres_url_gives_persistent_psycopg_connections(tmp_path: Path) -> None:
    db = config.database_settings({"DATABASE_URL": "postgres://desk:s3cret@db.internal:5433/helpdesk"}, tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == ("db.internal", 5433, "helpdesk", "desk", "s3cret")
    assert db["CONN_MAX_AGE"] == 600
    assert db["CONN_HEALTH_CHECKS"] is True


def test_unsupported_database_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        config.database_settings({"DATABASE_URL": "mysql://x@y/z"}, tmp_path)


def test_no_broker_url_means_filesystem_broker_under_var(tmp_path: Path) -> None:
    url, options = config.broker_settings({}, tmp_path)
    assert url == "filesystem://"
    assert Path(options["data_folder_in"]).is_dir()
    assert Path(options["data_folder_in"]).is_relative_to(tmp_path / "broker")
    assert Path(options["control_folder"]).is_relative_to(tmp_path / "broker")  # never ./control in the working tree


def test_redis_broker_from_celery_broker_url_or_redis_url(tmp_path: Path) -> None:
    assert config.broker_settings({"CELERY_BROKER_URL": "redis://r:6379/1"}, tmp_path)[0] == "redis://r:6379/1"
    assert config.broker_settings({"REDIS_URL": "redis://r:6379/2"}, tmp_path)[0] == "redis://r:6379/2"
    with pytest.raises(ImproperlyConfigured):
        config.broker_settings({"CELERY_BROKER_URL": "http://nope"}, tmp_path)


def test_secret_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    first = config.secret_key({}, tmp_path, production=False)
    second = config.secret_key({}, tmp_path, production=False)
    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_real_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        config.secret_key({}, tmp_path, production=True)
    for weak in ("short", "k" * 60, "django-insecure-" + "abcdefghij" * 5):
        with pytest.raises(ImproperlyConfigured, match="at least 50 random"):
            config.secret_key({"SECRET_KEY": weak}, tmp_path, production=True)
    strong = "abcdefghij0123456789" * 3
    assert config.secret_key({"SECRET_KEY": strong}, tmp_path, production=True) == strong


def test_cache_is_redis_when_redis_url_is_set(tmp_path: Path) -> None:
    assert config.cache_settings({"REDIS_URL": "redis://r/0"}, tmp_path)["default"]["BACKEND"].endswith("RedisCache")
    assert config.cache_settings({}, tmp_path)["default"]["BACKEND"].endswith("FileBasedCache")


def test_dashboard_rollups_read_from_the_replica_only_when_one_is_configured(settings: Any) -> None:
    from analytics.models import DailyStat
    from foundation.db_router import DashboardReplicaRouter
    from tickets.models import Ticket

    router = DashboardReplicaRouter()
    assert router.db_for_read(DailyStat) is None  # no replica: everything on the primary
    settings.DATABASES = {**settings.DATABASES, "replica": {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}}
    assert router.db_for_read(DailyStat) == "replica"
    assert router.db_for_read(Ticket) is None and router.db_for_write(DailyStat) is None
    assert router.allow_migrate("replica", "analytics") is False and router.allow_migrate("default", "analytics") is None


def test_replica_url_is_read_from_the_environment(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = "from django.conf import settings as s; print(s.DATABASES['replica']['HOST'], s.DATABASES['replica']['TEST']['MIRROR'])"
    env = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path), "DATABASE_REPLICA_URL": "postgres://u:p@replica.internal:5432/desk",
           "DJANGO_SETTINGS_MODULE": "escalation.settings"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "replica.internal default", out.stderr[-500:]
