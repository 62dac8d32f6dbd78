"""Triage benchmark: classifier quality and speed, and frustration vs human sentiment.

Standalone (no Django): ``python -m bench.triage`` prints JSON.

- Classifiers (``tfidf`` always, ``hybrid`` when the embeddings extra is installed; the
  hybrid fine-tunes its encoder, so its train seconds include that), each
  trained on the dataset's training split and measured on its held-out split:
  BANKING77 (train → test, 77 intents) and Bitext customer service (train → validation,
  27 intents). Accuracy, macro-F1, train seconds, per-ticket ``predict()`` p50/p95 on 500
  tickets, model size on disk (the joblib file plus a fine-tuned encoder directory, if
  any), and the calibration error of the confidence.
- Sentiment on VADER's human-rated ground truth (tweets, Amazon review snippets, mean of
  ≥ 20 ratings in [-4, 4]): Pearson r of VADER compound with the human score, and how well
  ``frustration_score`` separates clearly negative texts (human ≤ -1.5) from the rest
  (ROC AUC) next to the AUC of ``-compound``. These are general texts, not support tickets,
  so the frustration cues have little to add here; the AUCs show it does not lose VADER's
  signal while adding its own.

Datasets are read from ../shared/data (see each SOURCE.md for license); never copied here.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from tickets.triage.classifier import TextClassifier, build_classifier, embeddings_available, encoder_dir_for
from tickets.triage.evaluate import evaluate, read_labelled_csv
from tickets.triage.sentiment import analyze

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
BITEXT = "Bitext_Sample_Customer_Service_{}_Dataset.csv"
DATASETS: dict[str, dict[str, Any]] = {
    "banking77": {
        "train": DATA / "banking77" / "train.csv",
        "test": DATA / "banking77" / "test.csv",
        "text_col": "text",
        "label_col": "category",
    },
    "bitext_cs": {
        "train": DATA / "bitext_cs" / BITEXT.format("Training"),
        "test": DATA / "bitext_cs" / BITEXT.format("Validation"),
        "text_col": "utterance",
        "label_col": "intent",
    },
}
SENTIMENT_SETS = {
    "tweets": DATA / "vader_gt" / "tweets_GroundTruth.txt",
    "amazon_reviews": DATA / "vader_gt" / "amazonReviewSnippets_GroundTruth.txt",
}
CLEARLY_NEGATIVE = -1.5


def _calibration_error(classifier: TextClassifier, texts: list[str], labels: list[str], bins: int = 10) -> dict[str, float]:
    """Expected calibration error over equal-width confidence bins, and mean confidence vs accuracy."""
    predictions = classifier.predict_many(texts)
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p.label == label for p, label in zip(predictions, labels, strict=True)], dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return {"ece": round(float(error), 4), "mean_confidence": round(float(confidence.mean()), 4)}


def classifier_run(kind: str, name: str) -> dict[str, Any]:
    spec = DATASETS[name]
    train_texts, train_labels = read_labelled_csv(spec["train"], text_col=spec["text_col"], label_col=spec["label_col"])
    test_texts, test_labels = read_labelled_csv(spec["test"], text_col=spec["text_col"], label_col=spec["label_col"])
    classifier = build_classifier(kind)
    started = time.perf_counter()
    classifier.fit(train_texts, train_labels)
    train_seconds = time.perf_counter() - started
    result = evaluate(classifier, test_texts, test_labels, threshold=0.5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.joblib"
        classifier.save(path)
        encoder_dir = encoder_dir_for(path)
        encoder_bytes = sum(f.stat().st_size for f in encoder_dir.rglob("*") if f.is_file()) if encoder_dir.is_dir() else 0
        size = path.stat().st_size
        reloaded = TextClassifier.load(path)
        same = reloaded.predict_many(test_texts[:200]) == classifier.predict_many(test_texts[:200])
    return {
        "kind": kind,
        "train_n": len(train_texts),
        "test_n": result["n"],
        "labels": len(set(train_labels)),
        "accuracy": result["accuracy"],
        "macro_f1": result["macro_f1"],
        "train_seconds": round(train_seconds, 1),
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "latency_sample": result["latency_sample"],
        "coverage_at_0_5": result["coverage"],
        "accuracy_at_0_5": result["accuracy_at_threshold"],
        **_calibration_error(classifier, test_texts, test_labels),
        "validation_accuracy": classifier.metadata.get("validation_accuracy"),
        "temperature": classifier.metadata.get("temperature"),
        "fine_tuned_encoder": classifier.metadata.get("params", {}).get("fine_tuned_encoder", False),
        "fine_tune_seconds": classifier.metadata.get("fine_tune_seconds"),
        "model_file_bytes": size,
        "encoder_dir_bytes": encoder_bytes,
        "model_total_bytes": size + encoder_bytes,
        "reload_identical": same,
    }


def read_ground_truth(path: Path) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    scores: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            texts.append(html.unescape(parts[2]))
            scores.append(float(parts[1]))
    return texts, np.array(scores)


def sentiment_run(path: Path) -> dict[str, Any]:
    texts, human = read_ground_truth(path)
    started = time.perf_counter()
    results = [analyze(text) for text in texts]
    per_text_ms = (time.perf_counter() - started) * 1000 / len(texts)
    compound = np.array([r.compound for r in results])
    frustration = np.array([r.frustration_score for r in results])
    negative = human <= CLEARLY_NEGATIVE
    return {
        "n": len(texts),
        "clearly_negative": int(negative.sum()),
        "vader_compound_pearson_r": round(float(np.corrcoef(compound, human)[0, 1]), 4),
        "frustration_pearson_r": round(float(np.corrcoef(frustration, human)[0, 1]), 4),
        "auc_negative_frustration_score": round(float(roc_auc_score(negative, frustration)), 4),
        "auc_negative_minus_compound": round(float(roc_auc_score(negative, -compound)), 4),
        "analyze_ms_per_text": round(per_text_ms, 3),
    }


def run() -> dict[str, Any]:
    kinds = ["tfidf", "hybrid"] if embeddings_available() else ["tfidf"]
    classifiers = {name: {kind: classifier_run(kind, name) for kind in kinds} for name in DATASETS}
    return {
        "cpus": os.cpu_count(),
        "embeddings_available": embeddings_available(),
        "classifiers": classifiers,
        "sentiment": {name: sentiment_run(path) for name, path in SENTIMENT_SETS.items()},
    }


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2)
    print()
