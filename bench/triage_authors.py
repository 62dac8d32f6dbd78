"""Leave-one-author-out on the seed mail: how the default triage does on mail by someone it has not read.

For each author of ``tickets/triage/seed_mail.csv``: train the category model (the other
authors' mail plus the corpus share, confidence calibrated per author) and the severity
model (the other authors' mail) exactly as the default is trained, then run the whole
triage (``analysis.analyze``, and the engine's assessment of a new ticket) on that author's
mail. Prints each author's figures and their mean as JSON. Needs no database; not part of
``make bench`` (minutes of training).

    python -m bench.triage_authors [--weights '{"severity_p0": 0.5}'] [--threshold 0.45]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from bench.common import setup_django


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def score_author(held: str, *, weights: dict[str, float], threshold: float | None) -> dict[str, Any]:
    from escalation_engine.models import EscalationSettings
    from pipeline.management.commands.evaluate_triage import ESCALATING, escalation_recommendation
    from tickets import triage_service
    from tickets.models import TriageSettings
    from tickets.triage import analysis, default_model
    from tickets.triage.classifier import TextClassifier
    from tickets.triage.severity import SeverityModel

    rows = default_model.read_rows(default_model.SEED_MAIL_CSV)
    corpus = list(default_model.corpus_share())
    train = [row for row in rows if row["source"] != held]
    test = [row for row in rows if row["source"] == held]
    texts = [analysis.triage_text(row["subject"], row["body"]) for row in train]
    classifier = TextClassifier("tfidf").fit(
        texts + [text for text, _ in corpus],
        [row["category"] for row in train] + [label for _, label in corpus],
        groups=[row["source"] for row in train] + [None] * len(corpus),
    )
    severity = SeverityModel().fit(texts, [int(row["priority"]) for row in train], [row["escalate"] == "1" for row in train])
    base = triage_service.triage_settings(TriageSettings())
    settings = analysis.Settings(
        confidence_threshold=base.confidence_threshold if threshold is None else threshold,
        urgency_keywords=base.urgency_keywords,
        legal_keywords=base.legal_keywords,
        priority_weights={**(base.priority_weights or {}), **weights},
    )
    config = EscalationSettings()
    counts = dict.fromkeys(("cat", "covered", "covered_right", "near", "exact", "p0", "p0_hit", "p01", "p01_hit", "tp", "fp", "fn"), 0)
    for row in test:
        facts = analysis.Facts(subject=row["subject"], body=row["body"], tier=row.get("tier") or "bronze")
        result = analysis.analyze(facts, classifier=classifier, settings=settings, severity_model=severity)
        right = result.label == row["category"]
        counts["cat"] += right
        counts["covered"] += result.confident
        counts["covered_right"] += result.confident and right
        expected, got = int(row["priority"]), result.decision.priority
        counts["near"] += abs(got - expected) <= 1
        counts["exact"] += got == expected
        counts["p0"] += expected == 0
        counts["p0_hit"] += expected == 0 and got == 0
        counts["p01"] += expected <= 1
        counts["p01_hit"] += expected <= 1 and got <= 1
        wanted, flagged = row["escalate"] == "1", escalation_recommendation(facts, result, config) in ESCALATING
        counts["tp"] += wanted and flagged
        counts["fp"] += flagged and not wanted
        counts["fn"] += wanted and not flagged
    n = len(test)
    return {
        "author": held,
        "n": n,
        "category_accuracy": _ratio(counts["cat"], n),
        "coverage": _ratio(counts["covered"], n),
        "accuracy_at_threshold": _ratio(counts["covered_right"], counts["covered"]),
        "priority_within_one": _ratio(counts["near"], n),
        "priority_exact": _ratio(counts["exact"], n),
        "p0_recall": _ratio(counts["p0_hit"], counts["p0"]),
        "p0p1_recall": _ratio(counts["p01_hit"], counts["p01"]),
        "escalate_precision": _ratio(counts["tp"], counts["tp"] + counts["fp"]),
        "escalate_recall": _ratio(counts["tp"], counts["tp"] + counts["fn"]),
    }


def run(*, weights: dict[str, float] | None = None, threshold: float | None = None) -> dict[str, Any]:
    """Every author held out in turn, with ``weights`` over the default priority weights."""
    from tickets.triage import default_model

    authors = sorted({row["source"] for row in default_model.read_rows(default_model.SEED_MAIL_CSV)})
    per_author = [score_author(author, weights=weights or {}, threshold=threshold) for author in authors]
    figures = [key for key in per_author[0] if key not in ("author", "n")]
    mean = {key: round(statistics.mean(a[key] for a in per_author if a[key] is not None), 4) for key in figures}
    return {"weights": weights or {}, "threshold": threshold, "mean": mean, "per_author": per_author}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="{}", help="Priority weights to try, as JSON (e.g. the severity floors).")
    parser.add_argument("--threshold", type=float, default=None, help="Confidence threshold (default: the desk default).")
    args = parser.parse_args(argv)
    setup_django()
    print(json.dumps(run(weights=json.loads(args.weights), threshold=args.threshold), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
