"""Urgency and legal keywords on word boundaries, and the entities agents look for."""

from __future__ import annotations

from tickets.triage.signals import extract


def test_sue_is_not_found_inside_issue() -> None:
    signals = extract("I have an issue with my tissue box order")
    assert signals.legal_hits == []
    assert signals.legal_score == 0.0


def test_legal_terms_are_found_case_insensitively_with_weights() -> None:
    signals = extract("If this is not fixed my LAWYER will file a lawsuit and I'll report it under GDPR.")
    terms = [term for term, _ in signals.legal_hits]
    assert set(terms) == {"lawyer", "lawsuit", "gdpr"}
    assert terms[0] == "lawsuit"  # strongest first
    assert signals.legal_score == 1.0


def test_urgency_terms_and_score() -> None:
    signals = extract("Total outage: the site is down for all users in production")
    terms = dict(signals.urgency_hits)
    assert terms["outage"] == 0.9
    assert "all users" in terms and "production" in terms
    assert 0.9 < signals.urgency_score <= 1.0
    assert extract("How do I change my avatar?").urgency_score == 0.0


def test_phrases_match_across_extra_whitespace() -> None:
    assert ("data loss", 0.9) in extract("we had  DATA\nloss last night").urgency_hits


def test_custom_keyword_maps_replace_the_defaults() -> None:
    signals = extract("The boiler exploded, call the regulator", urgency_keywords={"boiler": 0.7}, legal_keywords={"regulator": 0.4})
    assert signals.urgency_hits == [("boiler", 0.7)]
    assert signals.legal_hits == [("regulator", 0.4)]


def test_entities_are_extracted() -> None:
    text = (
        "Order 12345 was billed on invoice INV-2024-001 for $1,250.00 and again €35.00. "
        "Write to jane.doe@example.com or ops@acme.example. The app shows E-1042, then HTTP 500. "
        "See https://status.example.com/incidents/42. My account number is 55201983."
    )
    entities = extract(text).entities
    assert entities["order_numbers"] == ["12345"]
    assert entities["invoice_numbers"] == ["INV-2024-001"]
    assert entities["amounts"] == ["$1,250.00", "€35.00"]
    assert entities["emails"] == ["jane.doe@example.com", "ops@acme.example"]
    assert entities["error_codes"] == ["E-1042", "HTTP 500"]
    assert entities["urls"] == ["https://status.example.com/incidents/42"]
    assert entities["account_numbers"] == ["55201983"]


def test_only_found_entity_kinds_are_present() -> None:
    assert extract("Where is my order #88231?").entities == {"order_numbers": ["88231"]}
    assert extract("Nothing to see here.").entities == {}
