"""The realistic evaluation set (bench/data/realistic_triage.csv) is independent of the training data and well-formed."""

import csv
from collections import Counter
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from tests.conftest import ROOT
from tickets.triage.default_model import SEED_CORPUS_CSV, SEED_MAIL_CSV

# Written by an author who saw no code, keyword list, training mail or earlier evaluation set.
REALISTIC = ROOT / "bench" / "data" / "realistic_triage.csv"
LABELS = {"technical_support", "billing", "account_access", "refund_request", "product_complaint", "feature_request", "security",
          "general_inquiry"}  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_no_evaluation_text_is_a_near_duplicate_of_a_training_text() -> None:
    evaluation = [f"{row['subject']}\n{row['body']}" for row in rows(REALISTIC)]
    training = [row["text"] for row in rows(SEED_CORPUS_CSV)] + [f"{row['subject']}\n{row['body']}" for row in rows(SEED_MAIL_CSV)]
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(training + evaluation)
    similarity = cosine_similarity(vectorizer.transform(evaluation), vectorizer.transform(training))
    worst = similarity.max(axis=1)
    assert worst.max() < 0.8, [evaluation[i][:80] for i in (worst >= 0.8).nonzero()[0][:5]]


def test_the_set_is_labelled_varied_and_multilingual() -> None:
    data = rows(REALISTIC)
    assert len(data) >= 150
    assert {row["category"] for row in data} == LABELS
    assert {row["priority"] for row in data} == {"0", "1", "2", "3"} and {row["escalate"] for row in data} == {"0", "1"}
    languages = Counter(row["language"] for row in data)
    assert 0.1 <= 1 - languages["en"] / len(data) <= 0.25 and {"de", "es", "fr", "pt"} <= set(languages)
    assert any(">" in row["body"] or "wrote:" in row["body"] for row in data)  # quoted threads


def test_the_training_mail_is_labelled_like_the_evaluation_set_and_by_several_authors() -> None:
    data = rows(SEED_MAIL_CSV)
    assert len(data) >= 900 and {row["category"] for row in data} == LABELS
    assert {row["priority"] for row in data} == {"0", "1", "2", "3"}
    assert len({row["source"] for row in data}) >= 5
    per_label = Counter(row["category"] for row in data)
    assert max(per_label.values()) <= 1.2 * min(per_label.values())  # balanced: no label wins by its share alone
