"""Frustration catches what VADER misreads in support tickets, and stays low for polite questions."""

from __future__ import annotations

from tickets.triage.sentiment import analyze


def test_still_cannot_access_is_frustrated_although_vader_is_not_negative() -> None:
    result = analyze("I still can't access my account, this is urgent")
    assert result.compound >= 0
    assert result.frustration_score >= 0.5
    assert "negation: can't" in result.cues
    assert "still" in result.cues


def test_polite_how_to_questions_stay_low() -> None:
    for text in (
        "Hi, how do I export my data to CSV? Thanks!",
        "Hello, could you tell me where I can change my billing address? Thank you.",
        "Quick question: is there a way to add a second admin to our workspace?",
        "I can't find the export option, could you point me to it? Thanks",
    ):
        assert analyze(text).frustration_score < 0.3, text


def test_caps_and_exclamations_raise_frustration() -> None:
    calm = analyze("the export is not working")
    shouting = analyze("the export is NOT WORKING")
    exclaiming = analyze("the export is not working!!")
    assert shouting.frustration_score > calm.frustration_score
    assert exclaiming.frustration_score > calm.frustration_score
    assert "ALL CAPS" in shouting.cues
    assert "!!" in exclaiming.cues


def test_acronyms_are_not_shouting() -> None:
    assert "ALL CAPS" not in analyze("The API returns HTTP 500 when I export to CSV").cues


def test_repeat_contact_and_threats_are_named_in_the_cues() -> None:
    result = analyze("This is the third time I write and nobody answers. I will switch to a competitor.")
    assert result.frustration_score >= 0.65
    assert any(cue.startswith("repeat complaint:") and "'third time'" in cue for cue in result.cues)
    assert any(cue.startswith("threat to leave:") for cue in result.cues)


def test_angry_ticket_scores_higher_than_plain_negative_one() -> None:
    plain = analyze("The invoice amount is wrong.")
    angry = analyze("Unacceptable. The invoice is wrong AGAIN, worst service ever, what a waste of my time!!")
    assert angry.frustration_score > 0.8 > plain.frustration_score
    assert -1 <= angry.compound < 0


def test_scores_stay_in_range_for_odd_input() -> None:
    for text in ("", "!!!!!!!!", "A" * 5000, "😡😡😡", "cancel cancel cancel"):
        result = analyze(text)
        assert 0.0 <= result.frustration_score <= 1.0
        assert -1.0 <= result.compound <= 1.0
