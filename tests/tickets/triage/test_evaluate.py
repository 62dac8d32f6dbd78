"""Evaluation numbers against a hand-computed example, and clear errors for bad CSVs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tickets.triage.classifier import Prediction
from tickets.triage.evaluate import DatasetError, evaluate, read_labelled_csv


class StubClassifier:
    """Answers from a fixed table, so every number below can be computed by hand."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers
        self.single_calls = 0

    def predict(self, text: str) -> Prediction:
        self.single_calls += 1
        label, confidence = self.answers[text]
        return Prediction(label, confidence, [(label, confidence)])

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        return [Prediction(*self.answers[t], [self.answers[t]]) for t in texts]


def test_evaluate_matches_hand_computed_numbers() -> None:
    # truth a a b b, predicted a b b b; confidences 0.9 0.4 0.8 0.6
    stub = StubClassifier({"t1": ("a", 0.9), "t2": ("b", 0.4), "t3": ("b", 0.8), "t4": ("b", 0.6)})
    result = evaluate(stub, ["t1", "t2", "t3", "t4"], ["a", "a", "b", "b"], threshold=0.5)

    assert result["n"] == 4
    assert result["accuracy"] == 0.75
    # a: precision 1/1, recall 1/2, f1 2/3; b: precision 2/3, recall 1, f1 4/5
    assert result["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["per_class"]["b"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert result["macro_f1"] == pytest.approx((2 / 3 + 4 / 5) / 2, abs=1e-4)
    # confident: t1, t3, t4 — all correct
    assert result["coverage"] == 0.75
    assert result["accuracy_at_threshold"] == 1.0
    assert result["threshold"] == 0.5
    assert stub.single_calls == 4  # latency is measured one ticket at a time
    assert 0 <= result["p50_ms"] <= result["p95_ms"]


def test_nothing_above_threshold_has_no_accuracy_at_threshold() -> None:
    stub = StubClassifier({"x": ("a", 0.2)})
    result = evaluate(stub, ["x"], ["a"], threshold=0.9)
    assert result["coverage"] == 0.0
    assert result["accuracy_at_threshold"] is None


def test_latency_sample_is_capped_at_500() -> None:
    answers = {f"t{i}": ("a", 0.9) for i in range(1200)}
    stub = StubClassifier(answers)
    result = evaluate(stub, list(answers), ["a"] * 1200)
    assert result["latency_sample"] == stub.single_calls <= 500


def test_read_labelled_csv_reads_texts_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('text,label\n"hello, world",greeting\nbye,farewell\n,empty\n', encoding="utf-8")
    assert read_labelled_csv(path) == (["hello, world", "bye"], ["greeting", "farewell"])


def test_read_labelled_csv_with_other_column_names(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("utterance,intent,extra\ncancel my order,cancel_order,x\n", encoding="utf-8")
    assert read_labelled_csv(path, text_col="utterance", label_col="intent") == (["cancel my order"], ["cancel_order"])


def test_missing_column_error_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,category\nhello,greeting\n", encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        read_labelled_csv(path, text_col="txt", label_col="category")
    assert str(error.value) == "text column 'txt' not in CSV (columns: text, category)"


def test_empty_file_and_header_only_file_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match="empty"):
        read_labelled_csv(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="CSV has no rows"):
        read_labelled_csv(header_only)


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_labelled_csv(tmp_path / "nope.csv")
