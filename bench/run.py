"""`make bench`: run every benchmark, print JSON, write bench/results/latest.json.

Runs against the database in DATABASE_URL (`make bench` starts a throwaway PostgreSQL
and Redis); it migrates first. Not part of the test run.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import setup_django


def main() -> int:
    setup_django()
    from django.core.management import call_command

    from bench import foundation

    call_command("migrate", verbosity=0)
    results = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "foundation": foundation.run(),
    }
    text = json.dumps(results, indent=2)
    print(text)
    out = Path(__file__).resolve().parent / "results" / "latest.json"
    out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
