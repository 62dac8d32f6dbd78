"""Articles for a ticket being triaged: the suggestions agents see and the auto-reply draft.

The pipeline calls :func:`suggest_for_ticket` right after tickets' triage has classified the
locked ticket, in the same transaction and before its one save. The similarity core is
``helpcenter/kb.py`` (pure Python); this module keeps its index per process, rebuilt only
when articles change, and is also what the contact form's live suggestions read.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from foundation import config_cache
from helpcenter import kb
from helpcenter.models import KnowledgeArticle
from tickets.models import Ticket, TriageSettings

SUGGESTION_COUNT = 3

_lock = threading.Lock()
_index: tuple[tuple[int, Any], kb.ArticleIndex] | None = None


def article_index() -> kb.ArticleIndex:
    """Published articles as a similarity index, rebuilt only when articles change."""
    global _index
    published = KnowledgeArticle.objects.filter(is_published=True)
    stamp = config_cache.cached("kb", "stamp", lambda: tuple(published.aggregate(n=Count("id"), last=Max("updated_at")).values()))
    with _lock:
        if _index is None or _index[0] != stamp:
            articles = [
                kb.Article(id=a.pk, title=a.title, body=a.body, category=a.category.slug if a.category else None)
                for a in published.select_related("category")
            ]
            _index = (stamp, kb.ArticleIndex(articles))
        return _index[1]


def suggest_for_ticket(locked: Ticket, *, text: str, label: str, confident: bool, config: TriageSettings) -> Ticket:
    """Set a locked, just-classified ticket's suggested articles and auto-reply draft; the caller saves it.

    Up to three published articles for ``text`` (the predicted ``label`` boosts its category's
    articles). The best one is drafted as an answer only when triage was ``confident``, the
    ticket's category allows auto-replies and the article scores at least
    ``config.auto_reply_min_score``; a ticket whose auto-reply was already sent keeps the
    article it was sent. The help centre sends the draft after commit (``ticket_triaged``).
    """
    suggestions = article_index().suggest(text, top=SUGGESTION_COUNT, category=label)
    category = locked.category
    draft = ""
    if (
        confident
        and category is not None
        and category.allow_auto_reply
        and suggestions
        and suggestions[0][1] >= config.auto_reply_min_score
    ):
        draft = _auto_reply_draft(locked, suggestions[0][0])
    locked.suggested_articles = [{"id": article_id, "score": round(score, 4)} for article_id, score in suggestions]
    locked.auto_reply_draft = draft
    if draft and locked.auto_reply_sent_at is None:
        locked.auto_reply_article_id = suggestions[0][0]
    return locked


def _auto_reply_draft(ticket: Ticket, article_id: int) -> str:
    article = KnowledgeArticle.objects.filter(pk=article_id).first()
    if article is None:
        return ""
    greeting = ticket.customer.name.split(" ")[0] if ticket.customer.name else "there"
    return (
        f"Hi {greeting},\n\nThanks for contacting us about \u201c{ticket.subject}\u201d. "
        f"This article should help:\n\n{article.title}\n\n{article.body.strip()}\n\n"
        "If it does not solve the problem, just reply to this message and we will take it from there."
    )
