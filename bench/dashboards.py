"""Supervisor dashboards at scale: ``python -m bench.dashboards --n 1000000``.

Loads N tickets with interactions, escalations and CSAT answers (``bench.load``, skipped
when already there), then times every dashboard page, its CSV export and its API call as a
supervisor through Django's full request stack (middleware, auth, templates): the default
30-day range for all teams, one team, and a whole year. Prints JSON with p50/p95 in
milliseconds and the query count of each. Target: p95 ≤ 150 ms per page at 1,000,000 tickets.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.common import against_target, main_at_scale, measure_page

TARGET_P95_MS = 150.0


def run(n: int = 1_000_000, *, repeat: int = 30) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from agents.models import Team
    from analytics.selectors import DASHBOARDS
    from bench.load import load

    loaded = load(n)
    supervisor = get_user_model().objects.get(username="supervisor")
    client = Client(HTTP_HOST="localhost")
    client.force_login(supervisor)
    team = Team.objects.order_by("pk").first()
    year_start = (timezone.localdate().replace(year=timezone.localdate().year - 1)).isoformat()
    variants = {
        "30d": "",
        "30d_team": f"team={team.pk}" if team else "",
        "365d": f"start={year_start}",
    }
    pages: dict[str, Any] = {}
    worst = 0.0
    for name in DASHBOARDS:
        for variant, query in variants.items():
            for kind, url in (
                ("page", f"/console/dashboards/{name}/?{query}"),
                ("csv", f"/console/dashboards/{name}/?{query}&format=csv"),
                ("api", f"/api/v1/analytics/{name}?{query}"),
            ):
                if kind != "page" and variant != "30d":
                    continue

                stats = measure_page(client, url, repeat=repeat)
                pages[f"{name}.{kind}.{variant}"] = stats
                if kind == "page":
                    worst = max(worst, stats["p95_ms"])
    return {
        "tickets": loaded["tickets"],
        "load": loaded,
        "pages": pages,
        **against_target(worst, TARGET_P95_MS),
    }


def main() -> int:
    return main_at_scale(run, __doc__)


if __name__ == "__main__":
    sys.exit(main())
