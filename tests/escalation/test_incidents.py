"""A burst of similar tickets from different customers opens one P0 incident and links the children."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalation_engine.incidents import detect_burst
from escalation_engine.sweep import sweep
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory
from tickets.models import Ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(NOW)]


def outage_reports(count: int, *, minutes_apart: int = 2, same_customer: bool = False) -> list[Ticket]:
    category = CategoryFactory.create(slug="technical_support")
    customer = CustomerFactory.create()
    return [
        TicketFactory.create(
            category=category,
            customer=customer if same_customer else CustomerFactory.create(),
            subject="Checkout page returns error 500",
            body=f"Since a few minutes the checkout fails with error 500 for us (report {i}).",
            created_at=NOW - timedelta(minutes=i * minutes_apart),
            status="triaged",
        )
        for i in range(count)
    ]


def test_five_customers_in_the_window_open_one_incident() -> None:
    reports = outage_reports(5)
    parent = detect_burst(ticket_id=reports[0].pk, now=NOW)
    assert parent is not None and parent.is_incident and parent.priority == 0 and "incident" in parent.tags
    assert set(Ticket.objects.filter(incident=parent).values_list("pk", flat=True)) == {t.pk for t in reports}
    # a later report joins the same incident instead of opening another
    late = TicketFactory.create(
        category=reports[0].category, subject="Error 500 at checkout", body="checkout fails with error 500", created_at=NOW
    )
    assert detect_burst(ticket_id=late.pk, now=NOW + timedelta(minutes=1)) == parent
    assert Ticket.objects.filter(is_incident=True).count() == 1


def test_no_incident_below_the_customer_threshold_or_for_one_customer() -> None:
    assert detect_burst(ticket_id=outage_reports(4)[0].pk, now=NOW) is None
    Ticket.objects.all().delete()
    assert detect_burst(ticket_id=outage_reports(8, same_customer=True)[0].pk, now=NOW) is None


def test_reports_outside_the_window_or_unrelated_do_not_count() -> None:
    spread = outage_reports(5, minutes_apart=20)  # 80 minutes: only two fall in the 30-minute window
    assert detect_burst(ticket_id=spread[0].pk, now=NOW) is None
    unrelated = [
        TicketFactory.create(category=spread[0].category, subject=s, body=s, created_at=NOW)
        for s in ("Invoice address wrong", "How do I export?", "Dark mode please", "Refund for order 7", "Password reset mail missing")
    ]
    assert detect_burst(ticket_id=unrelated[0].pk, now=NOW) is None


def test_a_shared_quoted_reply_or_signature_template_does_not_make_different_problems_one_incident() -> None:
    """Five customers answer the same auto-reply, each about something else: their quotes agree, their problems do not."""
    category = CategoryFactory.create(slug="technical_support")
    quoted = (
        "\n\nOn Mon, 30 Nov 2026 at 09:12, Acme Support <support@acme.example> wrote:\n"
        "> Thank you for contacting Acme Support. Your request has been received and a member of our team\n"
        "> will get back to you shortly. Please do not reply to this automated message with new questions.\n"
        "> In the meantime our help centre answers the most common questions about invoices, exports and logins.\n"
    )
    problems = (
        "The CSV export leaves out the last column.\n\nThanks, Mia",
        "Dark mode makes the invoice table unreadable.\n\nBest,\nRaj Patel | Finance",
        "Our Android app crashes on the settings screen.\n\n-- \nLena Vogt\nIT, Vogt GmbH",
        "Timestamps in the weekly report are in UTC, not Berlin time.\n\nregards\nTom",
        "Search by order number finds nothing older than a year.\n\nSent from my iPhone",
    )
    tickets = [
        TicketFactory.create(category=category, customer=CustomerFactory.create(), subject="Re: Your request", body=body + quoted,
                             created_at=NOW - timedelta(minutes=i), status="triaged")
        for i, body in enumerate(problems)
    ]  # fmt: skip
    assert detect_burst(ticket_id=tickets[0].pk, now=NOW) is None
    assert not Ticket.objects.filter(is_incident=True).exists()


def test_the_incident_escalates_once_for_its_children_and_counts_the_customers_hit() -> None:
    from escalation_engine.models import Escalation

    reports = outage_reports(5)
    parent = detect_burst(ticket_id=reports[0].pk, now=NOW)
    assert parent is not None and parent.sla_policy is not None  # the P0 incident has its clock
    result = sweep(now=NOW)
    assert result.read >= 6
    (escalation,) = Escalation.objects.all()
    assert escalation.ticket == parent and escalation.customers_affected == 5
    assert not any(t.escalations.exists() for t in Ticket.objects.filter(incident=parent))
    late = TicketFactory.create(category=reports[0].category, subject="Error 500 at checkout", body="checkout fails with error 500",
                                created_at=NOW, status="triaged")  # fmt: skip
    assert detect_burst(ticket_id=late.pk, now=NOW + timedelta(minutes=1)) == parent
    sweep(now=NOW + timedelta(minutes=1))
    escalation.refresh_from_db()
    assert Escalation.objects.count() == 1 and escalation.customers_affected == 6  # grows, no new escalation


def test_similarity_is_the_tfidf_cosine_and_texts_are_read_once(django_assert_num_queries: Any) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from escalation_engine import incidents

    reports = outage_reports(6)
    reports += [
        TicketFactory.create(category=reports[0].category, subject=s, body=s, created_at=NOW, status="triaged")
        for s in ("Invoice address wrong", "Refund for order 7 please")
    ]
    incidents._vectors.clear()
    with django_assert_num_queries(2):  # the recent tickets, then their texts
        similar = {pk for pk, _, _ in incidents.similar_recent(reports[0], now=NOW)}
    with django_assert_num_queries(1):  # texts come from the cache now
        assert {pk for pk, _, _ in incidents.similar_recent(reports[0], now=NOW)} == similar
    texts = [f"{t.subject} {t.body}" for t in reports]  # these bodies quote nothing: the customer's words are all of them
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english").fit_transform(texts)
    expected = {t.pk for t, score in zip(reports, cosine_similarity(matrix[0], matrix).ravel(), strict=True) if score >= 0.3}
    assert similar == expected
    assert len(similar) == 6  # the outage reports, not the invoice or the refund


def test_tfidf_cosines_match_scikit_learn() -> None:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from escalation_engine import incidents

    texts = [
        "Checkout page returns error 500 since this morning",
        "error 500 on checkout, checkout broken",
        "How do I export my invoices to CSV?",
        "the and of",  # stop words only: no terms at all
        "Refund for order 7 please, the refund is late",
    ]
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english").fit_transform(texts)
    counts = incidents._term_counts(list(range(-1, -len(texts) - 1, -1)), lambda ids: {pk: texts[-pk - 1] for pk in ids})
    for index in range(len(texts)):
        expected = cosine_similarity(matrix[index], matrix).ravel()
        assert np.allclose(incidents.tfidf_cosines(counts, index), expected, atol=1e-9)


def test_reports_that_escalated_on_their_own_hand_their_escalation_to_the_incident() -> None:
    from escalation_engine.models import Escalation
    from tickets.models import TicketEvent

    reports = outage_reports(5)

    def escalate(ticket: Ticket) -> Escalation:  # a P0 report escalates on its first check, before the burst is seen
        return Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority")

    first, second = escalate(reports[3]), escalate(reports[1])
    parent = detect_burst(ticket_id=reports[0].pk, now=NOW)
    assert parent is not None
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ticket_id == parent.pk and first.status == "open"  # the oldest becomes the incident's, its history kept
    assert second.ticket_id == reports[1].pk and second.status == "deescalated" and f"#{parent.pk}" in second.decision_reason
    assert TicketEvent.objects.filter(ticket=parent, kind="escalation_folded", detail__escalation=first.pk).exists()
    sweep(now=NOW)  # the incident may climb a tier; no child keeps an escalation of its own open
    assert set(Escalation.objects.filter(status="open").values_list("ticket_id", flat=True)) == {parent.pk}
