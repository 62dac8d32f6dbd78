"""Learning from people: the permanent held-out split, learned priority adjustments, the promotion rule.

Pure Python (no Django). ``tickets/triage_service.py`` reads the desk's human labels, calls
these functions and records the outcome on a ``ModelVersion``.

- **Split**: a ticket is held out when ``sha256(str(ticket_id)) % 5 == 0``, forever. A version
  trained by the desk's retraining never sees a held-out ticket, so every version is judged
  on tickets no version trained on, and the split cannot drift as labels arrive.
- **Priority**: for each category with enough human priority labels in the training split,
  the flat ``category_<slug>`` weight of ``priority.score_priority`` is chosen from a small
  grid (−0.30 … +0.50) to minimise the band error against the people's priorities; the
  rest of the priority model stays as it is. The weights travel with the model version.
- **Promotion**: see :func:`decide_promotion`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from tickets.triage import priority

HOLDOUT_BUCKETS = 5
# The learned category weight is one of these (a P-band is 0.25 of score).
ADJUSTMENT_GRID: tuple[float, ...] = tuple(round(-0.30 + 0.05 * step, 2) for step in range(17))
MIN_PRIORITY_LABELS_PER_CATEGORY = 5


def is_held_out(ticket_id: int) -> bool:
    """True for about one ticket in five, decided by the ticket's id alone (never changes)."""
    digest = hashlib.sha256(str(int(ticket_id)).encode("ascii")).digest()
    return int.from_bytes(digest, "big") % HOLDOUT_BUCKETS == 0


@dataclass(frozen=True)
class PriorityExample:
    """One human priority label with the signals triage read from that ticket."""

    signals: priority.PriorityInput  # what triage computed; its category is replaced by ``category``
    category: str | None  # the ticket's category as people know it (a human label when there is one)
    priority: int  # what a person set (0 = P0 … 3 = P3)


def _band_error(examples: Iterable[PriorityExample], weights: Mapping[str, float]) -> int:
    return sum(
        abs(priority.score_priority(replace(example.signals, category=example.category), weights=weights).priority - example.priority)
        for example in examples
    )


def fit_priority_adjustments(
    examples: Sequence[PriorityExample],
    *,
    base_weights: Mapping[str, float],
    fixed: Iterable[str] = (),
    min_labels: int = MIN_PRIORITY_LABELS_PER_CATEGORY,
) -> dict[str, float]:
    """``category_<slug>`` weights that bring triage's priority closest to what people set.

    Only categories with at least ``min_labels`` examples are fitted; a weight in ``fixed``
    (an admin's explicit setting) is left alone. A category's weight changes only when that
    lowers the total band error on its own examples; among equally good weights the one
    nearest the current one wins, so a handful of corrections moves it as little as it can.
    Returns only the weights that changed.
    """
    weights = {**priority.DEFAULT_WEIGHTS, **base_weights}
    fixed = set(fixed)
    by_category: dict[str, list[PriorityExample]] = {}
    for example in examples:
        if example.category:
            by_category.setdefault(example.category, []).append(example)
    learned: dict[str, float] = {}
    for category, rows in sorted(by_category.items()):
        key = f"category_{category}"
        if key in fixed or len(rows) < min_labels:
            continue
        current = float(weights.get(key, 0.0))
        best, best_error = current, _band_error(rows, {**weights, key: current})
        for value in sorted(ADJUSTMENT_GRID, key=lambda v: (abs(v - current), v)):
            error = _band_error(rows, {**weights, key: value})
            if error < best_error:
                best, best_error = value, error
        if best != current:
            learned[key] = best
    return learned


def priority_report(predicted: Sequence[int], actual: Sequence[int]) -> dict[str, float | int]:
    """Mean band error, exact and within-one shares of predicted vs human priorities."""
    if len(predicted) != len(actual):
        raise ValueError(f"{len(predicted)} predictions but {len(actual)} labels")
    n = len(actual)
    if n == 0:
        return {"n": 0}
    errors = [abs(p - a) for p, a in zip(predicted, actual, strict=True)]
    return {
        "n": n,
        "mean_band_error": round(sum(errors) / n, 4),
        "exact": round(sum(e == 0 for e in errors) / n, 4),
        "within_one": round(sum(e <= 1 for e in errors) / n, 4),
    }


@dataclass(frozen=True)
class Promotion:
    promote: bool
    reason: str


def decide_promotion(
    *,
    candidate_accuracy: float,
    active_accuracy: float | None,
    category_labels: int,
    candidate_priority_error: float | None = None,
    active_priority_error: float | None = None,
    priority_labels: int = 0,
    min_category_labels: int,
    min_priority_labels: int,
) -> Promotion:
    """Whether a candidate replaces the active version, judged on held-out human labels only.

    - Fewer than ``min_category_labels`` held-out category labels: never (too little to tell).
    - No active version to compare with (or it could not be scored): the candidate wins.
    - Otherwise the candidate must be no worse on category accuracy and, when there are at
      least ``min_priority_labels`` held-out priority labels, no worse on mean priority band
      error, and strictly better on at least one of the two. A tie keeps the active version.
    """
    if category_labels < min_category_labels:
        return Promotion(False, f"too few held-out category labels ({category_labels} < {min_category_labels})")
    if active_accuracy is None:
        return Promotion(True, "no active version could be scored")
    category_delta = round(candidate_accuracy - active_accuracy, 4)
    said = f"category accuracy {candidate_accuracy:.4f} vs {active_accuracy:.4f}"
    priority_delta = 0.0
    if priority_labels >= min_priority_labels and candidate_priority_error is not None and active_priority_error is not None:
        priority_delta = round(active_priority_error - candidate_priority_error, 4)
        said += f", priority band error {candidate_priority_error:.4f} vs {active_priority_error:.4f}"
    else:
        said += f" (priority not judged: {priority_labels} held-out labels < {min_priority_labels})"
    if category_delta < 0 or priority_delta < 0:
        return Promotion(False, f"worse: {said}")
    if category_delta == 0 and priority_delta == 0:
        return Promotion(False, f"no better: {said}")
    return Promotion(True, f"better: {said}")
