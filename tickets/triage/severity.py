"""How serious a message reads, learned from labelled mail: the probability that it is P0–P1, and that it is P0.

The keyword and pattern signals (``signals``) find what is said in words we listed; much of
what makes a ticket critical is said in the facts ("12,000 contacts merged into 300",
"charged $61,200 instead of $6,120", "every open ticket set to Solved"). This model reads
those from examples: TF-IDF over word 1–2 grams and character 2–5 grams of the customer's
words, with every number replaced by its size (``<n4>`` for thousands, ``<money4>`` for an
amount in the thousands) so that "4,200 tickets" and "12,000 contacts" look alike, into two
logistic regressions (urgent = P0 or P1, critical = P0), class-balanced.

It is one more signal in the priority score, with its reason ("reads urgent 0.82: 'merged',
'<n4> contacts'"), never the whole decision: the explicit signals and the impact floor
still apply. Trained by default on ``seed_mail.csv`` (mail written for this project with
priorities, never the evaluation sets); the learning loop refits it on the priorities
people set. Pure Python (scikit-learn, no Django).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

FORMAT_VERSION = 1
WORD_TOKENS = r"(?u)<?\b\w+\b>?"
# Regularisation of both regressions (smaller is stronger); chosen on a split of the training mail.
DEFAULT_C = 2.0
# Cues shown with the reason: the strongest features of the text that point to urgent.
MAX_CUES = 3

_CURRENCY = r"[$€£¥]|\b(?:usd|eur|gbp|chf|brl|mxn)\b|\b(?:dollars?|euros?|pounds?|reais)\b"
_AMOUNT = re.compile(
    rf"(?:(?:{_CURRENCY})\s?(\d{{1,3}}(?:[,.\u00a0\u202f ]\d{{3}})+|\d+)(?:[.,]\d{{1,2}})?"
    rf"|(\d{{1,3}}(?:[,.\u00a0\u202f ]\d{{3}})+|\d+)(?:[.,]\d{{1,2}})?\s?(?:{_CURRENCY}))",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.,/#-])(\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d+)(?:[.,]\d+)?(?![\w/-])")


def _size(digits: str) -> int:
    return len(re.sub(r"\D", "", digits).lstrip("0") or "0")


def normalize(text: str) -> str:
    """Lower-case text with amounts and numbers replaced by their size: "$61,200.00" → "<money5>", "4,200" → "<n4>"."""
    text = _AMOUNT.sub(lambda m: f" <money{_size(m.group(1) or m.group(2))}> ", text)
    text = _NUMBER.sub(lambda m: f" <n{min(_size(m.group(1)), 6)}> ", text)
    return text.lower()


# Words that say nothing on their own, in the languages the seed mail has (a cue is a word an agent can read as a reason).
_NOT_CUES = frozenset(ENGLISH_STOP_WORDS) | frozenset((
    "nicht", "noch", "eine", "einen", "unsere", "unser", "wir", "sie", "ihr", "ihre", "haben", "wird", "wurde", "sind",
    "bitte", "seit", "zwei", "drei", "nous", "vous", "notre", "votre", "avons", "sont", "pour", "avec", "dans", "cette",
    "depuis", "plus", "nosotros", "nuestro", "nuestra", "están", "para", "como", "desde", "esta", "este", "nosso", "nossa",
    "estão", "abbiamo", "nostro", "nostra", "sono", "della", "questo", "questa", "onze", "hebben", "wordt", "niet", "deze",
))  # fmt: skip


def _is_a_cue(term: str) -> bool:
    words = term.split()
    return all("<" not in word for word in words) and any(len(word) >= 4 and word not in _NOT_CUES for word in words)


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


@dataclass(frozen=True)
class Severity:
    urgent: float  # P(P0 or P1)
    critical: float  # P(P0)
    cues: list[str] = field(default_factory=list)
    escalate: float | None = None  # P(a supervisor should see it), when the model learned that


class SeverityModel:
    """Two class-balanced logistic regressions on one TF-IDF representation. See the module docstring."""

    def __init__(self, *, C: float = DEFAULT_C) -> None:
        self.C = C
        self.metadata: dict[str, Any] = {}
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._urgent: tuple[np.ndarray, float] | None = None
        self._critical: tuple[np.ndarray, float] | None = None
        self._escalate: tuple[np.ndarray, float] | None = None

    def _features(self, texts: Sequence[str]) -> sp.csr_matrix:
        assert self._word is not None and self._char is not None
        normalized = [normalize(text) for text in texts]
        return sp.hstack([self._word.transform(normalized), self._char.transform(normalized)], format="csr")

    def fit(self, texts: Sequence[str], priorities: Sequence[int], escalate: Sequence[bool] | None = None) -> SeverityModel:
        """Learn P(P0–P1) and P(P0) from ``priorities`` (0–3), and P(escalate) when ``escalate`` is given."""
        texts = [str(text) for text in texts]
        targets = np.array([int(p) for p in priorities])
        if len(texts) != len(targets) or (escalate is not None and len(escalate) != len(texts)):
            raise ValueError(f"{len(texts)} texts but {len(targets)} priorities")
        if not set(targets.tolist()) <= {0, 1, 2, 3}:
            raise ValueError("priorities must be 0-3")
        normalized = [normalize(text) for text in texts]
        self._word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=WORD_TOKENS, min_df=2, dtype=np.float32)
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32)
        self._word.fit(normalized)
        self._char.fit(normalized)
        features = self._features(texts)
        heads = []
        wanted = [("urgent", targets <= 1), ("critical", targets == 0)]
        if escalate is not None:
            wanted.append(("escalate", np.array([bool(flag) for flag in escalate])))
        for name, positive in wanted:
            if positive.all() or not positive.any():
                raise ValueError(f"the {name} head needs examples on both sides (P0–P1 and P2–P3, P0 and the rest)")
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
            model.fit(features, positive.astype(int))
            heads.append((model.coef_[0].astype(np.float32), float(model.intercept_[0])))
        self._urgent, self._critical = heads[0], heads[1]
        self._escalate = heads[2] if len(heads) > 2 else None
        self.metadata = {
            "format_version": FORMAT_VERSION,
            "train_size": len(texts),
            "per_priority": {f"P{p}": int((targets == p).sum()) for p in range(4)},
            "C": self.C,
        }
        return self

    def _heads(self) -> list[tuple[np.ndarray, float]]:
        assert self._urgent is not None and self._critical is not None
        escalate = getattr(self, "_escalate", None)
        return [self._urgent, self._critical] + ([escalate] if escalate is not None else [])

    def _block_scores(
        self, vectorizer: TfidfVectorizer, offset: int, text: str, *, cues: bool
    ) -> tuple[list[float], list[tuple[float, str]]]:
        """One TF-IDF block's share of each head's logit, computed directly from the vocabulary (what
        ``transform`` then a dot product give, without building a sparse matrix or validating it)."""
        heads = self._heads()
        counts = Counter(vectorizer.build_analyzer()(text))
        vocabulary = vectorizer.vocabulary_
        found = [(vocabulary[term], count, term) for term, count in counts.items() if term in vocabulary]
        if not found:
            return [0.0] * len(heads), []
        indices = np.fromiter((index for index, _, _ in found), dtype=np.int64, count=len(found))
        tf = 1.0 + np.log(np.fromiter((count for _, count, _ in found), dtype=np.float64, count=len(found)))
        values = tf * vectorizer.idf_[indices]  # sublinear tf × idf, then l2-normalised per block
        values /= np.sqrt(values @ values)
        urgent_push = values * heads[0][0][offset + indices]
        shares = [float(urgent_push.sum())] + [float(values @ coef[offset + indices]) for coef, _ in heads[1:]]
        pushes = [(float(push), term) for push, (_, _, term) in zip(urgent_push, found, strict=True)] if cues else []
        return shares, pushes

    def predict(self, text: str) -> Severity:
        if self._urgent is None or self._critical is None or self._word is None or self._char is None:
            raise RuntimeError("SeverityModel is not fitted")
        normalized = normalize(text)
        word, pushes = self._block_scores(self._word, 0, normalized, cues=True)
        char, _ = self._block_scores(self._char, len(self._word.vocabulary_), normalized, cues=False)
        odds = [round(_sigmoid(w + c + intercept), 4) for w, c, (_, intercept) in zip(word, char, self._heads(), strict=True)]
        # The word features of this text that push hardest towards urgent, for the reason shown to agents
        # (words only: "<n4>" or "this is" explain nothing).
        cues = [term for push, term in sorted(pushes, reverse=True) if push > 0 and _is_a_cue(term)][:MAX_CUES]
        return Severity(urgent=odds[0], critical=odds[1], cues=cues, escalate=odds[2] if len(odds) > 2 else None)

    def predict_many(self, texts: Sequence[str]) -> np.ndarray:
        """P(urgent) of each text through scikit-learn's own transform (the reference the fast path is tested against)."""
        assert self._urgent is not None
        logits = np.asarray(self._features(texts) @ self._urgent[0]).ravel() + self._urgent[1]
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: Path) -> None:
        joblib.dump({"format_version": FORMAT_VERSION, "model": self}, Path(path))

    @classmethod
    def load(cls, path: Path) -> SeverityModel:
        payload = joblib.load(Path(path))
        if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION or not isinstance(payload.get("model"), cls):
            raise ValueError(f"{path} is not a severity model this code can read")
        model: SeverityModel = payload["model"]
        return model
