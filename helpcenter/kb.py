"""Knowledge-base suggestions: TF-IDF cosine similarity between a ticket and articles.

Word 1–2 grams, sublinear tf, English stop words; the title is repeated so it weighs twice
the body. ``min_score`` applies to the plain similarity, so the small category boost can
reorder relevant articles but never surfaces an unrelated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

CATEGORY_BOOST = 0.05


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    body: str
    category: str | None = None


class ArticleIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = list(articles)
        self._vectorizer: TfidfVectorizer | None = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
        documents = [f"{a.title}\n{a.title}\n{a.body}" for a in self.articles]
        try:
            self._matrix = self._vectorizer.fit_transform(documents) if documents else None
        except ValueError:  # only stop words / empty texts: nothing to match against
            self._matrix = None
        if self._matrix is None:
            self._vectorizer = None

    def __len__(self) -> int:
        return len(self.articles)

    def suggest(self, text: str, *, top: int = 3, category: str | None = None, min_score: float = 0.05) -> list[tuple[int, float]]:
        """(article id, score) best first; at most ``top``, each with similarity ≥ ``min_score``."""
        if self._vectorizer is None or self._matrix is None or top <= 0 or not text.strip():
            return []
        similarities = np.asarray((self._matrix @ self._vectorizer.transform([text]).T).todense()).ravel()
        scored: list[tuple[int, float]] = []
        for article, similarity in zip(self.articles, similarities, strict=True):
            if similarity < min_score or similarity <= 0:
                continue
            boost = CATEGORY_BOOST if category is not None and article.category == category else 0.0
            scored.append((article.id, round(min(1.0, float(similarity) + boost), 4)))
        scored.sort(key=lambda item: -item[1])
        return scored[:top]
