"""Help-centre search: PostgreSQL full-text search with ranking; a simple fallback on SQLite."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from helpcenter.models import KnowledgeArticle, SearchLog

MAX_QUERY = 200


def published() -> QuerySet[KnowledgeArticle]:
    return KnowledgeArticle.objects.filter(is_published=True).select_related("category")


def search(query: str, *, limit: int = 20, log: bool = True) -> list[KnowledgeArticle]:
    """Published articles for ``query``, best first; every search is logged (no results = content gap)."""
    results: list[Any]
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return []
    if connection.vendor == "postgresql":
        # Title words weigh more than body words (A vs B); websearch syntax: "quoted", -excluded, or.
        vector = SearchVector("title", weight="A", config="english") + SearchVector("body", weight="B", config="english")
        terms = SearchQuery(query, search_type="websearch", config="english")
        # Match with @@ (ts_rank alone gives non-matching documents a tiny non-zero rank).
        matching = published().annotate(document=vector).filter(document=terms)
        results = list(matching.annotate(rank=SearchRank(vector, terms)).order_by("-rank", "title")[:limit])
    else:
        words = query.split()
        matches = Q()
        for word in words:
            matches &= Q(title__icontains=word) | Q(body__icontains=word)
        in_title = Case(When(title__icontains=words[0], then=Value(1)), default=Value(0), output_field=IntegerField())
        results = list(published().filter(matches).annotate(rank=in_title).order_by("-rank", "title")[:limit])
    if log:
        SearchLog.objects.create(query=query.lower(), results=len(results))
    return results
