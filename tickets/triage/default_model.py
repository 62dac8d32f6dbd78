"""What a fresh desk starts with: a TF-IDF category model and a severity model, trained on mail this project wrote.

Two files beside this module, both written for this project (no external data):

- ``seed_mail.csv``: 1,520 e-mails written the way customers write (quoted threads,
  signatures, typos, other languages, calm P0s, indirect threats), each labelled with its
  category, priority and whether a supervisor should see it, by eight authors who wrote for
  different products and kinds of customer (``source``: ``set-a``, ``set-b``, ``author-1`` …
  ``author-6``; ``set-a`` and ``set-b`` were this project's evaluation sets in an earlier
  round and are training mail now; ``author-6`` wrote only in German, Portuguese, Spanish,
  French, Italian and Dutch; the evaluation set, ``bench/data/realistic_triage.csv``, was
  written by another author and is never trained on).
- ``seed_corpus.csv``: 5,600 tickets generated from hand-written phrasings in five languages
  (``seed_corpus.py``). Templated text generalizes less well to other people's mail than
  written mail does (on a held-out author: 0.73 trained on the corpus plus 600 written mails,
  0.79–0.80 on 840 written mails alone or with 800 corpus rows), so the default takes
  ``CORPUS_PER_LABEL`` rows of each label from it, for phrasings and languages the mail lacks.

The category model trains on the written mail plus that share of the corpus, its confidence
calibrated on each author's mail as scored by a model trained without that author; the severity
model (``severity.py``) on the written mail's priorities and escalate flags. Both read what triage reads: the
subject and the customer's own words (``analysis.triage_text``).
"""

from __future__ import annotations

import csv
import hashlib
from functools import lru_cache
from pathlib import Path

from tickets.triage.analysis import triage_text
from tickets.triage.classifier import Progress, TextClassifier
from tickets.triage.severity import SeverityModel

SEED_CORPUS_CSV = Path(__file__).with_name("seed_corpus.csv")
SEED_MAIL_CSV = Path(__file__).with_name("seed_mail.csv")
# Rows of each label taken from the generated corpus (the first by SHA-256 of their text: stable, unbiased).
CORPUS_PER_LABEL = 100
# Bumped when the recipe changes, so a cached model file is never reused for a different recipe.
RECIPE = 6


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def _mail() -> tuple[tuple[str, str, int, bool], ...]:
    """(text triage reads, category, priority, a supervisor should see it) of each written mail."""
    return tuple(
        (triage_text(row["subject"], row["body"]), row["category"], int(row["priority"]), row["escalate"] == "1")
        for row in read_rows(SEED_MAIL_CSV)
    )


@lru_cache(maxsize=1)
def corpus_share() -> tuple[tuple[str, str], ...]:
    by_label: dict[str, list[tuple[str, str]]] = {}
    for row in read_rows(SEED_CORPUS_CSV):
        subject, _, body = row["text"].partition("\n")
        by_label.setdefault(row["label"], []).append((hashlib.sha256(row["text"].encode()).hexdigest(), triage_text(subject, body)))
    chosen: list[tuple[str, str]] = []
    for label in sorted(by_label):
        chosen += [(text, label) for _, text in sorted(by_label[label])[:CORPUS_PER_LABEL]]
    return tuple(chosen)


def training_data() -> tuple[list[str], list[str]]:
    """Texts and categories the default category model learns from (the learning loop adds the desk's own)."""
    rows = [(text, category) for text, category, _, _ in _mail()] + list(corpus_share())
    return [text for text, _ in rows], [label for _, label in rows]


def training_groups() -> list[str | None]:
    """Who wrote each text of ``training_data`` (None for the generated corpus): confidence is calibrated per author."""
    return [row["source"] for row in read_rows(SEED_MAIL_CSV)] + [None] * len(corpus_share())


def severity_data() -> tuple[list[str], list[int], list[bool]]:
    """Texts, priorities and escalate flags the default severity model learns from."""
    mail = _mail()
    return [row[0] for row in mail], [row[2] for row in mail], [row[3] for row in mail]


@lru_cache(maxsize=1)
def recipe_digest() -> str:
    """Names the cached model files: the training files' content and the recipe (read once per process: the
    files ship with the code, and triage asks for the severity model on every ticket)."""
    digest = hashlib.sha256(f"recipe {RECIPE} corpus {CORPUS_PER_LABEL}".encode())
    for path in (SEED_MAIL_CSV, SEED_CORPUS_CSV):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def train_default(path: Path, *, progress: Progress | None = None) -> TextClassifier:
    """Train the always-available TF-IDF category model on the default data and save it to ``path``.

    It needs no optional packages and trains in seconds, so it is safe to run on first start;
    desks replace it with models trained on their own tickets.
    """
    texts, labels = training_data()
    classifier = TextClassifier("tfidf").fit(texts, labels, progress=progress, groups=training_groups())
    classifier.metadata["source"] = "seed_mail+seed_corpus"
    classifier.save(Path(path))
    return classifier


def train_default_severity(path: Path) -> SeverityModel:
    texts, priorities, escalate = severity_data()
    model = SeverityModel().fit(texts, priorities, escalate)
    model.metadata["source"] = "seed_mail"
    model.save(Path(path))
    return model
