"""Read labelled CSVs and measure a classifier: accuracy, macro-F1, per class, latency, coverage.

``coverage`` is the share of tickets whose confidence reaches ``threshold`` (the ones that
would be routed automatically); ``accuracy_at_threshold`` is the accuracy on those, or
``None`` when none reach it. Latency is ``predict()`` one ticket at a time, as the triage
task calls it, on an evenly spaced sample of at most 500 texts.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from tickets.triage.classifier import Prediction

LATENCY_SAMPLE = 500


class DatasetError(ValueError):
    """A training or evaluation file that cannot be used, with a message a person can act on."""


class Predictor(Protocol):
    def predict(self, text: str) -> Prediction: ...

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]: ...


def read_labelled_csv(path: Path, *, text_col: str = "text", label_col: str = "label") -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV with a header row; rows with an empty text or label are skipped."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [name for name in (reader.fieldnames or []) if name is not None]
            if not columns:
                raise DatasetError(f"{path.name} is empty (no header row)")
            for wanted, role in ((text_col, "text"), (label_col, "label")):
                if wanted not in columns:
                    raise DatasetError(f"{role} column '{wanted}' not in CSV (columns: {', '.join(columns)})")
            texts: list[str] = []
            labels: list[str] = []
            for row in reader:
                text = (row.get(text_col) or "").strip()
                label = (row.get(label_col) or "").strip()
                if text and label:
                    texts.append(text)
                    labels.append(label)
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path.name} is not UTF-8 text: {error}") from error
    except csv.Error as error:
        raise DatasetError(f"{path.name} is not a readable CSV: {error}") from error
    if not texts:
        raise DatasetError(f"{path.name}: CSV has no rows with both a {text_col!r} and a {label_col!r} value")
    return texts, labels


def _percentile(samples: list[float], share: float) -> float:
    return float(np.percentile(samples, share * 100)) if samples else 0.0


def evaluate(classifier: Predictor, texts: Sequence[str], labels: Sequence[str], *, threshold: float = 0.5) -> dict[str, Any]:
    """Quality and speed of ``classifier`` on labelled ``texts`` (see the module docstring for the keys)."""
    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if not texts:
        raise DatasetError("nothing to evaluate: no texts")
    predictions = classifier.predict_many(texts)
    predicted = [p.label for p in predictions]
    correct = np.array([p == t for p, t in zip(predicted, labels, strict=True)])

    classes = sorted(set(labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=classes, zero_division=0)
    present = [i for i, label in enumerate(classes) if label in set(labels)]
    per_class = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(classes)
    }
    # Macro-F1 over the true classes: a label the model invents but never appears does not dilute it.
    macro_f1 = float(np.mean([f1[i] for i in present]))

    confident = np.array([p.confidence >= threshold for p in predictions])
    step = max(1, len(texts) // LATENCY_SAMPLE)
    sample = texts[::step][:LATENCY_SAMPLE]
    timings: list[float] = []
    for text in sample:
        started = time.perf_counter()
        classifier.predict(text)
        timings.append((time.perf_counter() - started) * 1000)

    return {
        "n": len(texts),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(macro_f1, 4),
        "per_class": per_class,
        "p50_ms": round(_percentile(timings, 0.5), 3),
        "p95_ms": round(_percentile(timings, 0.95), 3),
        "latency_sample": len(timings),
        "threshold": threshold,
        "coverage": round(float(confident.mean()), 4),
        "accuracy_at_threshold": round(float(correct[confident].mean()), 4) if confident.any() else None,
    }
