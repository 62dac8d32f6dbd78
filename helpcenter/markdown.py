"""Article markdown → sanitised HTML: only formatting tags survive, links get rel=noopener."""

from __future__ import annotations

import markdown as md  # type: ignore[import-untyped]
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead",
    "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> SafeString:
    """Markdown to HTML, then nh3 keeps only the allowed tags, attributes and URL schemes."""
    html = md.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def excerpt(text: str, length: int = 180) -> str:
    """Plain text of the first part of an article (for result lists; escaped by the template)."""
    plain = nh3.clean(md.markdown(text or ""), tags=set()).replace("\n", " ").strip()
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"
