"""The category classifier learns, gives calibrated-looking probabilities and survives a save/load."""

from __future__ import annotations

import random
from pathlib import Path

import joblib
import pytest

from tickets.triage import classifier as classifier_module
from tickets.triage.classifier import TextClassifier, build_classifier, encoder_dir_for

VOCABULARY = {
    "billing": ["invoice", "charged", "payment", "card", "bill", "vat", "receipt", "price"],
    "access": ["login", "password", "locked", "reset", "sign", "two-factor", "username", "credentials"],
    "shipping": ["parcel", "delivery", "courier", "tracking", "package", "shipped", "arrive", "address"],
}
FILLER = ["please", "help", "my", "the", "today", "hello", "thanks", "with", "is", "a", "we", "our", "there"]


def _synthetic(count_per_label: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in VOCABULARY.items():
        for _ in range(count_per_label):
            tokens = rng.sample(words, 3) + rng.sample(FILLER, 4)
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    texts, labels = _synthetic(60, seed=1)
    return TextClassifier("tfidf").fit(texts, labels)


def test_it_learns_the_labels_of_unseen_texts(trained: TextClassifier) -> None:
    texts, labels = _synthetic(20, seed=2)
    predictions = trained.predict_many(texts)
    accuracy = sum(p.label == label for p, label in zip(predictions, labels, strict=True)) / len(labels)
    assert accuracy >= 0.95
    assert trained.labels == ["access", "billing", "shipping"]


def test_clear_texts_get_high_confidence_and_vague_texts_lower(trained: TextClassifier) -> None:
    clear = trained.predict("I was charged twice, the invoice and the card payment are wrong")
    vague = trained.predict("hello, please help us today")
    assert clear.label == "billing"
    assert clear.confidence >= 0.7
    assert vague.confidence < clear.confidence
    assert vague.confidence < 0.7


def test_probabilities_are_probabilities(trained: TextClassifier) -> None:
    for prediction in trained.predict_many(["parcel tracking courier", "password reset", "nonsense words only"]):
        probabilities = [p for _, p in prediction.alternatives]
        assert len(prediction.alternatives) == 3
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert sum(probabilities) <= 1.0 + 1e-6
        assert probabilities == sorted(probabilities, reverse=True)
        assert prediction.alternatives[0] == (prediction.label, prediction.confidence)


def test_predict_and_predict_many_agree(trained: TextClassifier) -> None:
    texts = ["locked out of my login", "where is my delivery", "bill is too high"]
    assert [trained.predict(t) for t in texts] == trained.predict_many(texts)


def test_save_and_load_give_identical_predictions(trained: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    trained.save(path)
    loaded = TextClassifier.load(path)
    texts, _ = _synthetic(5, seed=3)
    texts.append("completely unrelated words about gardening")
    assert loaded.predict_many(texts) == trained.predict_many(texts)
    assert loaded.labels == trained.labels
    assert loaded.metadata == trained.metadata
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]


def test_metadata_describes_the_model(trained: TextClassifier) -> None:
    assert trained.metadata["kind"] == "tfidf"
    assert trained.metadata["train_size"] == 180
    assert trained.metadata["label_count"] == 3
    assert trained.metadata["temperature"] > 0
    assert trained.metadata["validation_size"] > 0


def test_fit_reports_progress_up_to_done() -> None:
    seen: list[tuple[str, float]] = []
    texts, labels = _synthetic(10, seed=4)
    TextClassifier("tfidf").fit(texts, labels, progress=lambda stage, fraction: seen.append((stage, fraction)))
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions)
    assert seen[-1] == ("done", 1.0)


def test_tiny_data_without_room_for_calibration_still_trains() -> None:
    classifier = TextClassifier("tfidf").fit(["invoice charged", "password locked"], ["billing", "access"])
    assert classifier.predict("my invoice was charged twice").label == "billing"
    assert classifier.metadata["validation_size"] == 0


def test_it_refuses_a_single_label() -> None:
    with pytest.raises(ValueError, match="at least two labels"):
        TextClassifier("tfidf").fit(["a b", "c d"], ["x", "x"])


def test_predict_before_training_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="not trained"):
        TextClassifier("tfidf").predict("hello")


def test_build_classifier_kinds() -> None:
    assert build_classifier("tfidf").kind == "tfidf"
    assert build_classifier("auto").kind in {"tfidf", "hybrid"}
    with pytest.raises(ValueError, match="unknown classifier kind"):
        build_classifier("bert")


def _as_hybrid_file(trained: TextClassifier, path: Path, **changes: object) -> Path:
    """A saved model file rewritten to look like a hybrid one (no encoder weights needed)."""
    trained.save(path)
    state = joblib.load(path)
    state.update({"kind": "hybrid", **changes})
    joblib.dump(state, path)
    return path


def test_a_fine_tuned_encoder_is_saved_beside_the_model_file(tmp_path: Path) -> None:
    assert encoder_dir_for(tmp_path / "desk-v3.joblib") == tmp_path / "desk-v3.encoder"


def test_a_tfidf_file_stays_readable_by_older_code(trained: TextClassifier, tmp_path: Path) -> None:
    trained.save(tmp_path / "model.joblib")
    assert joblib.load(tmp_path / "model.joblib")["format_version"] == 1
    assert "encoder_dir" not in joblib.load(tmp_path / "model.joblib")


def test_a_hybrid_fine_tunes_its_encoder_unless_told_not_to() -> None:
    # Building does not load torch or any weights; only fit() does.
    assert TextClassifier("hybrid").fine_tune is True
    assert TextClassifier("hybrid", fine_tune=False).fine_tune is False
    assert TextClassifier("tfidf").fine_tune is False


def test_an_older_hybrid_file_uses_the_bundled_encoder(trained: TextClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module, "embeddings_available", lambda: True)
    path = _as_hybrid_file(trained, tmp_path / "model.joblib", embedder={"quantize": True, "threads": 2})
    loaded = TextClassifier.load(path)
    assert loaded.embedder is not None
    assert loaded.embedder.encoder_dir is None
    assert loaded.embedder.fine_tuned is False
    assert loaded.embedder.max_seq_length is None


def test_a_fine_tuned_hybrid_without_its_encoder_directory_is_a_clear_error(
    trained: TextClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classifier_module, "embeddings_available", lambda: True)
    path = _as_hybrid_file(
        trained,
        tmp_path / "model.joblib",
        format_version=2,
        embedder={"quantize": True, "threads": 1, "max_seq_length": 64, "fine_tuned": True},
        encoder_dir="model.encoder",
    )
    with pytest.raises(RuntimeError, match="fine-tuned encoder directory"):
        TextClassifier.load(path)


def test_grouped_calibration_fits_the_temperature_on_each_unseen_group() -> None:
    # Two authors use the same words for opposite asks: a model that never read an author is wrong
    # about them, and grouped calibration must say so (low confidence), where a random split,
    # which has read both authors, is confidently right.
    alice = [("alpha request {i}", "refund"), ("beta request {i}", "bug")] * 15
    bob = [("beta ask {i}", "refund"), ("alpha ask {i}", "bug")] * 15
    texts = [t.format(i=i) for i, (t, _) in enumerate(alice + bob)]
    labels = [label for _, label in alice + bob]
    groups = ["alice"] * len(alice) + ["bob"] * len(bob)
    grouped = TextClassifier("tfidf").fit(texts, labels, groups=groups)
    plain = TextClassifier("tfidf").fit(texts, labels)
    assert grouped.metadata["validation_size"] == len(texts)  # every text scored by a model without its author
    assert grouped.metadata["validation_accuracy"] < 0.5 < plain.metadata["validation_accuracy"]
    assert grouped.temperature > plain.temperature
    assert grouped.predict("beta ask 99").confidence < plain.predict("beta ask 99").confidence
    # texts of no named group are always trained on, never held out
    mixed = TextClassifier("tfidf").fit(texts, labels, groups=["alice"] * len(alice) + [None] * len(bob))
    assert mixed.metadata["validation_size"] < len(texts)
    with pytest.raises(ValueError):
        TextClassifier("tfidf").fit(texts, labels, groups=groups[:-1])
