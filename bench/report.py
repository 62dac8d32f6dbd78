"""``python -m bench.report``: the README's Performance tables, from bench/results/latest.json.

The README quotes this output verbatim, so its figures are the ones the last `make bench`
wrote — not numbers copied by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _ms(entry: dict[str, Any] | None) -> str:
    return f"{entry['p50_ms']:.0f} / {entry['p95_ms']:.0f}" if entry and "p50_ms" in entry else "—"


def _duration(p50: float, p95: float) -> str:
    """A pair of durations in seconds, shown in ms while the larger is under a second."""
    return f"{p50 * 1000:.0f} / {p95 * 1000:.0f} ms" if p95 < 1 else f"{p50:.1f} / {p95:.1f} s"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> str:
    """One row per target of the performance issue: measured, target, met."""
    rows: list[list[str]] = []
    pages = results.get("pages", {})
    dashboards = results.get("dashboards", {})
    e2e = results.get("e2e", {})
    triage = results.get("triage", {}).get("classifiers", {}).get("banking77", {}).get("hybrid", {})
    sweep = results.get("sweep", {})

    def row(what: str, measured: str, target: str, met: bool | None) -> None:
        rows.append([what, measured, target, "—" if met is None else ("yes" if met else "**no**")])

    if "worst_page_p95_ms" in pages:
        row(
            "console pages p95 at 1 M tickets (worst)",
            f"{pages['worst_page_p95_ms']:.0f} ms",
            "≤ 150 ms",
            pages["worst_page_p95_ms"] <= 150,
        )
    if "worst_page_p95_ms" in dashboards:
        worst = dashboards["worst_page_p95_ms"]
        row("dashboards p95 at 1 M tickets (worst)", f"{worst:.0f} ms", "≤ 150 ms", worst <= 150)
    load = dashboards.get("load", {}).get("timings", {})
    if load:
        total = load["load_s"] + load["rollups_s"]
        row("load 1 M tickets (+ rollups)", f"{load['load_s']:.0f} s + {load['rollups_s']:.0f} s", "≤ 10 min", total <= 600)
    if "sustained_intake_per_s" in e2e:
        row("sustained intake, 0 errors", f"{e2e['sustained_intake_per_s']}/s", "≥ 300/s", e2e["sustained_intake_per_s"] >= 300)
        half = e2e.get("at_half_sustained") or {}
        p95 = half.get("post_to_assigned_p95_s")
        label = f"p95 POST → assigned at {half.get('target_per_s')}/s"
        shown = "—" if p95 is None else (f"{p95 * 1000:.0f} ms" if p95 < 1 else f"{p95:.1f} s")
        row(label, shown, "≤ 2 s", None if p95 is None else p95 <= 2)
        rss = e2e.get("peak_rss_mb", {})
        row("web process RSS (peak)", f"{rss.get('web', 0):.0f} MB", "≤ 250 MB", rss.get("web", 0) <= 250)
        row("worker process RSS, model loaded (peak)", f"{rss.get('worker', 0):.0f} MB", "≤ 400 MB", rss.get("worker", 0) <= 400)
    if triage:
        row("triage accuracy, BANKING77 (hybrid)", f"{triage['accuracy']:.3f}", "≥ 0.94", triage["accuracy"] >= 0.94)
        row("triage p95 per ticket (hybrid)", f"{triage['p95_ms']:.1f} ms", "≤ 10 ms", triage["p95_ms"] <= 10)
    if "idle" in sweep:
        row("escalation sweep, nothing due", f"{sweep['idle']['ms']:.0f} ms", "≤ 50 ms", sweep["idle"]["ms"] <= 50)
        row("escalation sweep, 10,000 due", f"{sweep['due_10000']['ms'] / 1000:.1f} s", "≤ 5 s", sweep["due_10000"]["ms"] <= 5000)
    return _table(["what", "measured", "target", "met"], rows)


def pages(results: dict[str, Any]) -> str:
    found = results.get("pages", {}).get("pages", {})
    return _table(["page", "p50 / p95 ms", "queries"], [[name, _ms(entry), str(entry.get("queries", ""))] for name, entry in found.items()])


def dashboards(results: dict[str, Any]) -> str:
    found = results.get("dashboards", {}).get("pages", {})
    names = sorted({key.split(".")[0] for key in found}, key=list(dict.fromkeys(k.split(".")[0] for k in found)).index)
    rows = []
    for name in names:
        cells = [found.get(f"{name}.{kind}") for kind in ("page.30d", "page.30d_team", "page.365d", "csv.30d", "api.30d")]
        rows.append([name, *(_ms(cell) for cell in cells), str((cells[0] or {}).get("queries", ""))])
    return _table(["dashboard", "30 days", "30 days, one team", "365 days", "CSV (30 d)", "API (30 d)", "queries"], rows)


def e2e(results: dict[str, Any]) -> str:
    rows = []
    for step in results.get("e2e", {}).get("steps", []):
        post, triaged, assigned = step["post_ms"], step["post_to_triaged_s"], step["post_to_assigned_s"]
        rows.append([
            f"{step['target_per_s']}/s", f"{step['achieved_per_s']}/s", str(step["errors"]),
            f"{post['p50']:.0f} / {post['p95']:.0f} ms",
            _duration(triaged["p50"], triaged["p95"]) if triaged["n"] else "—",
            f"{_duration(assigned['p50'], assigned['p95'])} ({assigned['n']:,})" if assigned["n"] else "—",
            f"{step['queue_depth_max']:,}", f"{step['web_mb']:.0f} / {step['worker_mb']:.0f} MB",
        ])  # fmt: skip
    header = [
        "rate",
        "achieved",
        "errors",
        "POST p50 / p95",
        "→ triaged p50 / p95",
        "→ assigned p50 / p95 (n)",
        "queue max",
        "RSS web / worker",
    ]
    return _table(header, rows)


def sweep(results: dict[str, Any]) -> str:
    found = results.get("sweep", {})
    labels = (("idle", "nothing due"), ("due_1000", "1,000 due"), ("due_10000", "10,000 due"))
    rows = [
        [label, f"{found[key]['ms']:.0f} ms", f"{found[key]['rows_read']:,}", str(found[key]["queries"])]
        for key, label in labels
        if key in found
    ]
    return _table(["sweep", "time", "rows read", "queries"], rows)


def main() -> int:
    results = json.loads(RESULTS.read_text())
    errors = {name: value["error"] for name, value in results.items() if isinstance(value, dict) and "error" in value}
    machine = results.get("machine", {})
    print(f"Run {results.get('ran_at')} on {machine.get('cpus')} CPUs, Python {machine.get('python')}, {machine.get('platform')}\n")
    for title, part in (("Targets", targets), ("Console pages", pages), ("Dashboards", dashboards), ("End to end", e2e), ("Sweep", sweep)):
        print(f"#### {title}\n\n{part(results)}\n")
    for name, error in errors.items():
        print(f"- {name} failed: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
