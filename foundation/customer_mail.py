"""Automatic mail to customers in their language: ``render_mail("acknowledgement", language="de", context={...})``.

Templates are plain text under ``templates/mail/``: ``<name>_subject.txt`` (one line) and
``<name>.txt`` (the body), written with ``{% translate %}`` / ``{% blocktranslate %}``. They
are rendered inside ``translation.override`` with the customer's language when the desk has a
translation for it (``settings.LANGUAGES``: English, German, Spanish, French, Portuguese), and in
English otherwise. Translations live in ``locale/<code>/LC_MESSAGES/django.po``; the compiled
``django.mo`` beside each is committed, so a fresh clone needs no gettext tools.

Whoever writes a ticket's mail passes ``ticket.language`` (set by triage); mail about a
customer rather than a ticket (a portal sign-in link) passes the language of their latest
ticket (``tickets.selectors.customer_language``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

FALLBACK = "en"


def mail_language(code: str | None) -> str:
    """The language a mail is written in: ``code`` (``de``, ``pt-BR`` → ``pt``) when translated, else English."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in {language for language, _ in settings.LANGUAGES} else FALLBACK


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str
    language: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers every automatic mail carries: the language it is written in, and that a robot wrote it (RFC 3834)."""
        return {"Content-Language": self.language, "Auto-Submitted": "auto-replied"}


def render_mail(name: str, *, language: str | None, context: dict[str, Any]) -> RenderedMail:
    """Render ``mail/<name>_subject.txt`` and ``mail/<name>.txt`` in ``language`` (English when not translated)."""
    chosen = mail_language(language)
    with translation.override(chosen):
        subject = " ".join(render_to_string(f"mail/{name}_subject.txt", context).split())
        body = render_to_string(f"mail/{name}.txt", context).strip() + "\n"
    return RenderedMail(subject=subject, body=body, language=chosen)
