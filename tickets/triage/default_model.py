"""The model a fresh desk starts with: TF-IDF trained on the project's own seed corpus."""

from __future__ import annotations

from pathlib import Path

from tickets.triage.classifier import Progress, TextClassifier
from tickets.triage.evaluate import read_labelled_csv

SEED_CORPUS_CSV = Path(__file__).with_name("seed_corpus.csv")


def train_default(path: Path, *, progress: Progress | None = None) -> TextClassifier:
    """Train the always-available TF-IDF classifier on ``seed_corpus.csv`` and save it to ``path``.

    The classical model needs no optional packages and trains in a few seconds, so it is
    safe to run on first start; desks replace it with models trained on their own tickets.
    """
    texts, labels = read_labelled_csv(SEED_CORPUS_CSV)
    classifier = TextClassifier("tfidf").fit(texts, labels, progress=progress)
    classifier.metadata["source"] = "seed_corpus"
    classifier.save(Path(path))
    return classifier
