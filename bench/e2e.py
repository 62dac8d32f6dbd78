"""The whole system under load: ``python -m bench.e2e`` (against DATABASE_URL and REDIS_URL).

Starts the real stack — gunicorn (web), one Celery worker and beat — on PostgreSQL and
Redis, warms it up with a few tickets, then a separate load process posts tickets through
the REST API at increasing rates (bounded steps on loopback). For each step: achieved intake rate, errors, POST latency,
time from POST to *triaged* and to *assigned* (p50/p95/p99, from the tickets' own
timestamps), the worker queue depth, and the RSS of the web and worker processes. The
sustained intake rate is the highest step with no errors that reached 95 % of its target.
Targets: ≥ 300 tickets/s sustained with 0 errors; p95 POST → assigned ≤ 2 s at half that
rate; web RSS ≤ 250 MB, worker with the model loaded ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RATES = (50, 100, 200, 300, 400)
STEP_SECONDS = 15
SETTLE_SECONDS = 90
WARMUP_TICKETS = 60
THREADS = 48


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of the largest of a process and its children (gunicorn / Celery fork workers)."""
    largest = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout.split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
        except OSError:
            continue
    return round(largest / 1024, 1)


def _percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": round(statistics.median(ordered), 3), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def _durations(tickets: Any, field: str) -> list[float]:
    from django.db.models import F

    return [d.total_seconds() for d in tickets.annotate(d=F(field) - F("created_at")).values_list("d", flat=True)]


def customer_texts() -> list[str]:
    """Real customer messages (BANKING77 test split, read from ../shared/data), so triage, routing and
    incident detection see varied text; one fixed sentence when the data set is not there."""
    from bench.triage import DATASETS

    path = Path(DATASETS["banking77"]["test"])
    if not path.exists():
        return ["My card payment was declined at the shop twice today, please help."]
    with path.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"].strip() for row in csv.DictReader(handle) if row["text"].strip()]
    random.Random(7).shuffle(texts)  # the file is grouped by intent; customers are not
    return texts


def _load_process(port: int, token: str, rate: int, seconds: int, tag: str, texts: list[str], out: Any) -> None:
    """Post rate × seconds tickets on a fixed schedule from THREADS keep-alive connections."""
    total = rate * seconds
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    start = time.monotonic() + 0.5
    give_up = start + 3 * seconds
    lock = threading.Lock()
    state: dict[str, Any] = {"next": 0, "errors": 0, "ok": 0, "latencies": []}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = state["next"]
                state["next"] += 1
            if index >= total or time.monotonic() > give_up:
                break  # bounded in count and in time: a server slower than the rate stops the step
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            text = texts[index % len(texts)]
            body = json.dumps({"customer_email": f"load{index % 5000}@e2e.example", "subject": f"{tag} {index} {text[:60]}", "body": text})
            sent = time.monotonic()
            good = False
            # One retry on a fresh connection, as HTTP clients do when the server closed an idle keep-alive;
            # the same Idempotency-Key makes the retry safe (one ticket either way).
            for attempt in range(2):
                try:
                    connection.request("POST", "/api/v1/tickets/", body=body, headers={**headers, "Idempotency-Key": f"{tag}-{index}"})
                    response = connection.getresponse()
                    response.read()
                    good = response.status in (200, 201)
                    break
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    if attempt:
                        break
            with lock:
                state["ok" if good else "errors"] += 1
                state["latencies"].append(time.monotonic() - sent)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - max(began, start)
    post_ms = {k: (round(v * 1000, 1) if isinstance(v, float) else v) for k, v in _percentiles(state["latencies"]).items()}
    out.put({"ok": state["ok"], "errors": state["errors"], "seconds": round(elapsed, 2), "post_ms": post_ms})


def _warm_up(port: int, token: str, texts: list[str], broker: Any) -> dict[str, Any]:
    """Post WARMUP_TICKETS slowly and wait until the worker has them all (≤ 60 s), so the steps
    measure a running system: every gunicorn thread and worker process has served and loaded
    its model, as in production, rather than the first seconds after a deploy."""
    from tickets.models import Ticket

    floor = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    queue = multiprocessing.Queue()  # type: ignore[var-annotated]
    tag = f"e2e-warmup-{int(time.time())}"
    load = multiprocessing.Process(target=_load_process, args=(port, token, 10, WARMUP_TICKETS // 10, tag, texts[-WARMUP_TICKETS:], queue))
    load.start()
    result = queue.get(timeout=120)
    load.join()
    mine = Ticket.objects.filter(id__gt=floor, subject__startswith=f"{tag} ")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (mine.filter(triaged_at__isnull=True).exists() or broker.llen("celery")):
        time.sleep(0.5)
    return {"tickets": result["ok"], "errors": result["errors"], "triaged": mine.exclude(triaged_at=None).count()}


def _start(name: str, args: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    log = (logs / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run(*, rates: tuple[int, ...] = RATES, seconds: int = STEP_SECONDS) -> dict[str, Any]:
    import redis
    from django.conf import settings
    from rest_framework.authtoken.models import Token

    from agents.models import Agent, Availability
    from demo.seed import seed_demo
    from tickets.models import Ticket
    from tickets.triage_service import ensure_default_model

    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        raise RuntimeError("bench.e2e needs PostgreSQL and Redis: run it through `make bench` (or set DATABASE_URL and REDIS_URL)")
    seed_demo(tickets=0, customers=0)
    # Measure routing, not staffing: every demo agent online with room for the whole run.
    Agent.objects.update(availability=Availability.ONLINE, capacity=30_000)
    ensure_default_model()  # the worker would train it on its first ticket otherwise
    token = Token.objects.get(user__username="intake-bot").key
    texts = customer_texts()
    port = _free_port()
    logs = Path(settings.VAR_DIR) / "e2e-logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "WORKER_HEARTBEAT_SECONDS": "5"}
    bin_dir = Path(sys.executable).parent
    gunicorn = [str(bin_dir / "gunicorn"), "escalation.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8"]
    celery = [str(bin_dir / "celery"), "-A", "escalation"]
    web = _start("web", gunicorn, env, logs)
    worker = _start("worker", [*celery, "worker", "--concurrency", "2", "--loglevel", "WARNING"], env, logs)
    beat = _start("beat", [*celery, "beat", "--loglevel", "WARNING", "--schedule", str(logs / "celerybeat-schedule")], env, logs)
    broker: Any = redis.Redis.from_url(os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"])
    steps: list[dict[str, Any]] = []
    warmup: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/accounts/login/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {logs / 'web.log'}")
            time.sleep(0.3)
        warmup = _warm_up(port, token, texts, broker)
        for rate in rates:
            tag = f"e2e-{rate}-{int(time.time())}"
            # This step's tickets are the ones above the highest id now: an index range, where a
            # filter on the subject would scan all 1 M rows every second of the settle loop.
            floor = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
            queue = multiprocessing.Queue()  # type: ignore[var-annotated]
            load = multiprocessing.Process(target=_load_process, args=(port, token, rate, seconds, tag, texts, queue))
            depth: list[int] = []
            rss = {"web_mb": 0.0, "worker_mb": 0.0}
            load.start()
            while load.is_alive():
                depth.append(int(broker.llen("celery")))
                rss = {"web_mb": max(rss["web_mb"], _rss_mb(web.pid)), "worker_mb": max(rss["worker_mb"], _rss_mb(worker.pid))}
                time.sleep(0.5)
            result = queue.get(timeout=30)
            load.join()
            settle = time.monotonic() + SETTLE_SECONDS
            mine = Ticket.objects.filter(id__gt=floor, subject__startswith=f"{tag} ")
            while time.monotonic() < settle and mine.filter(assigned_at__isnull=True, needs_triage=False).exists():
                depth.append(int(broker.llen("celery")))
                time.sleep(1)
            triaged = _durations(mine.exclude(triaged_at=None), "triaged_at")
            assigned = _durations(mine.exclude(assigned_at=None), "assigned_at")
            achieved = round(result["ok"] / result["seconds"], 1) if result["seconds"] else 0.0
            steps.append({
                "target_per_s": rate, "achieved_per_s": achieved, "accepted": result["ok"], "errors": result["errors"],
                "post_ms": result["post_ms"], "post_to_triaged_s": _percentiles(triaged), "post_to_assigned_s": _percentiles(assigned),
                "stored": mine.count(), "queue_depth_max": max(depth or [0]), **rss,
            })  # fmt: skip
            print(f"bench.e2e: {rate}/s → {achieved}/s, {result['errors']} errors", file=sys.stderr, flush=True)
    finally:
        for process in (beat, worker, web):
            _stop(process)
    sustained = max((s["target_per_s"] for s in steps if not s["errors"] and s["achieved_per_s"] >= 0.95 * s["target_per_s"]), default=0)
    half = min(steps, key=lambda s: abs(s["target_per_s"] - sustained / 2)) if steps else None
    return {
        "texts": f"{len(texts)} BANKING77 test messages" if len(texts) > 1 else "one fixed message",
        "warmup": warmup,
        "steps": steps,
        "sustained_intake_per_s": sustained,
        "at_half_sustained": {"target_per_s": half["target_per_s"], "post_to_assigned_p95_s": half["post_to_assigned_s"]["p95"]}
        if half
        else None,
        "peak_rss_mb": {"web": max((s["web_mb"] for s in steps), default=0), "worker": max((s["worker_mb"] for s in steps), default=0)},
        "targets": {"intake_per_s": 300, "assigned_p95_s_at_half": 2.0, "web_rss_mb": 250, "worker_rss_mb": 400},
    }


def main() -> int:
    from bench.common import setup_django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default=",".join(map(str, RATES)))
    parser.add_argument("--seconds", type=int, default=STEP_SECONDS)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(rates=tuple(int(r) for r in args.rates.split(",")), seconds=args.seconds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
