"""Article suggestions and the auto-reply draft, stored by the real pipeline step that triages a new ticket.

The expected scores and draft were recorded before suggestions moved from tickets' triage to
the help centre, so a change in what triage stores shows up here.
"""

from typing import Any

import pytest
from django.utils import timezone

from helpcenter.models import KnowledgeArticle
from pipeline import new_ticket
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory
from tickets.models import Ticket, TriageSettings, lock_ticket

pytestmark = pytest.mark.django_db

DRAFT = (
    "Hi Ann,\n\nThanks for contacting us about \u201cPassword reset e-mail never arrives\u201d. "
    "This article should help:\n\nReset your password\n\n"
    "Choose Forgot password on the sign-in page; the reset e-mail arrives in minutes.\n\n"
    "If it does not solve the problem, just reply to this message and we will take it from there."
)
SCORES = {"reset": 0.6625, "twofa": 0.2074}


@pytest.fixture
def articles() -> dict[str, KnowledgeArticle]:
    category = CategoryFactory.create(slug="account_access", name="Account access", allow_auto_reply=True)
    return {
        "reset": KnowledgeArticle.objects.create(
            title="Reset your password",
            slug="reset-password",
            category=category,
            body="Choose Forgot password on the sign-in page; the reset e-mail arrives in minutes.",
        ),
        "twofa": KnowledgeArticle.objects.create(
            title="Two-factor codes not arriving",
            slug="2fa",
            category=category,
            body="Codes arrive by e-mail: no e-mail came? Check the phone's clock.",
        ),
        "invoice": KnowledgeArticle.objects.create(title="Download an invoice", slug="invoice", body="Billing, invoices, PDF download."),
        "draft": KnowledgeArticle.objects.create(
            title="Password reset (draft)", slug="reset-draft", body="Password reset e-mail never arrives.", is_published=False
        ),
    }


def password_ticket(**fields: Any) -> Ticket:
    return TicketFactory.create(
        customer=CustomerFactory.create(name="Ann Example", email="ann@example.com"),
        subject="Password reset e-mail never arrives",
        body="I asked for a password reset but no e-mail came.",
        **fields,
    )


def triage(ticket: Ticket, monkeypatch: pytest.MonkeyPatch) -> tuple[Ticket, int]:
    """Run the pipeline's triage step on the locked ticket; returns it and how often it was saved."""
    saves = []
    original = Ticket.save

    def counting_save(self: Ticket, *args: Any, **kwargs: Any) -> None:
        saves.append(self.pk)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Ticket, "save", counting_save)
    locked = lock_ticket(ticket.pk)
    assert locked is not None
    new_ticket.triage_locked(locked)
    monkeypatch.setattr(Ticket, "save", original)
    return Ticket.objects.get(pk=ticket.pk), len(saves)


def test_triage_stores_the_suggested_articles_and_the_draft_in_one_save(
    articles: dict[str, KnowledgeArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, saves = triage(password_ticket(), monkeypatch)
    assert ticket.suggested_articles == [
        {"id": articles["reset"].pk, "score": SCORES["reset"]},
        {"id": articles["twofa"].pk, "score": SCORES["twofa"]},
    ]
    assert ticket.auto_reply_draft == DRAFT
    assert ticket.auto_reply_article_id == articles["reset"].pk
    assert saves == 1


def test_no_draft_when_triage_is_unsure(articles: dict[str, KnowledgeArticle], monkeypatch: pytest.MonkeyPatch) -> None:
    TriageSettings.objects.update_or_create(pk=1, defaults={"confidence_threshold": 0.999})
    ticket, _ = triage(password_ticket(), monkeypatch)
    assert ticket.needs_triage and [s["id"] for s in ticket.suggested_articles] == [articles["reset"].pk, articles["twofa"].pk]
    assert ticket.auto_reply_draft == "" and ticket.auto_reply_article_id is None


def test_no_draft_below_the_minimum_score(articles: dict[str, KnowledgeArticle], monkeypatch: pytest.MonkeyPatch) -> None:
    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_reply_min_score": 0.99})
    ticket, _ = triage(password_ticket(), monkeypatch)
    assert ticket.suggested_articles[0]["id"] == articles["reset"].pk
    assert ticket.auto_reply_draft == "" and ticket.auto_reply_article_id is None


def test_no_draft_when_the_category_does_not_allow_it(articles: dict[str, KnowledgeArticle], monkeypatch: pytest.MonkeyPatch) -> None:
    category = articles["reset"].category
    assert category is not None
    category.allow_auto_reply = False
    category.save()
    ticket, _ = triage(password_ticket(), monkeypatch)
    assert ticket.suggested_articles[0]["id"] == articles["reset"].pk
    assert ticket.auto_reply_draft == "" and ticket.auto_reply_article_id is None


def test_a_sent_auto_reply_keeps_its_article_when_triaged_again(
    articles: dict[str, KnowledgeArticle], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = password_ticket(auto_reply_article=articles["invoice"], auto_reply_sent_at=timezone.now())
    ticket, _ = triage(sent, monkeypatch)
    assert ticket.auto_reply_draft == DRAFT  # drafted as before, but never sent twice
    assert ticket.auto_reply_article_id == articles["invoice"].pk
