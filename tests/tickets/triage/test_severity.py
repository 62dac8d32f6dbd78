"""The learned severity model: what it learns, that its fast path is scikit-learn's transform, and how priority uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tickets.triage import default_model
from tickets.triage.priority import PriorityInput, score_priority
from tickets.triage.severity import SeverityModel, normalize

# A small labelled history with a known rule: an incident at scale is P0, a broken thing for one person P1-P2, a question P3.
CRITICAL = [
    "All {n} of our stores cannot take payments since {t}",
    "Every one of our {n} agents lost their open drafts after the update",
    "The import merged {n} customer records into the wrong accounts",
    "Production is down for our {n} users, nothing loads",
    "Someone exported {n} customer records from our account overnight",
]
NORMAL = [
    "The export button gives an error for me on invoice {n}",
    "My profile picture does not upload, file {n}.png",
    "The report for week {n} shows the wrong totals",
]
QUESTION = [
    "How do I change the colour of the widget? Thanks",
    "Is there a discount for nonprofits? We are {n} people",
    "Where can I download invoice {n} as a PDF?",
]


def history() -> tuple[list[str], list[int]]:
    texts, priorities = [], []
    for i in range(12):
        for template in CRITICAL:
            texts.append(template.format(n=120 * (i + 3), t=f"{8 + i % 4}:15"))
            priorities.append(0)
        for template in NORMAL:
            texts.append(template.format(n=1000 + i))
            priorities.append(2)
        for template in QUESTION:
            texts.append(template.format(n=10 + i))
            priorities.append(3)
    return texts, priorities


@pytest.fixture(scope="module")
def model() -> SeverityModel:
    return SeverityModel().fit(*history())


def test_numbers_become_their_size_so_counts_and_amounts_generalize() -> None:
    assert normalize("Charged $61,200.00 instead of $6,120") == "charged  <money5>  instead of  <money4> "
    assert "<n4>" in normalize("about 4,200 of them") and "<n5>" in normalize("12 000 contacts")
    assert normalize("Invoice INV-2025-0042") == "invoice inv-2025-0042"  # identifiers stay words


def test_it_ranks_an_unseen_incident_above_an_unseen_question(model: SeverityModel) -> None:
    incident = model.predict("Since this morning none of our 800 agents can log in to any store")
    question = model.predict("How do I export a PDF of invoice 77?")
    assert incident.urgent > 0.6 and incident.critical > question.critical
    assert question.urgent < 0.4
    assert incident.cues and all("<" not in cue and len(cue) >= 4 for cue in incident.cues)


def test_the_fast_path_equals_scikit_learns_transform(model: SeverityModel) -> None:
    texts = ["Production is down for our 300 users", "Where can I download invoice 12?", "", "ünïcödé only"]
    fast = np.array([model.predict(text).urgent for text in texts])
    assert np.allclose(fast, model.predict_many(texts), atol=1e-4)


def test_it_saves_loads_and_refuses_other_files(model: SeverityModel, tmp_path: Path) -> None:
    path = tmp_path / "severity.joblib"
    model.save(path)
    assert SeverityModel.load(path).predict("All 400 stores are down") == model.predict("All 400 stores are down")
    import joblib

    joblib.dump({"format_version": 99}, tmp_path / "other.joblib")
    with pytest.raises(ValueError):
        SeverityModel.load(tmp_path / "other.joblib")


def test_it_needs_both_sides_of_each_head() -> None:
    with pytest.raises(ValueError):
        SeverityModel().fit(["a b", "c d"], [2, 3])  # nothing urgent
    with pytest.raises(ValueError):
        SeverityModel().fit(["a b"], [5])


def test_priority_floors_on_a_sure_severity_and_explains_it() -> None:
    calm = PriorityInput(category="technical_support")
    assert score_priority(calm).priority == 2
    sure = PriorityInput(category="technical_support", severity_urgent=0.9, severity_critical=0.8, severity_cues=["merged"])
    critical = score_priority(sure)
    assert critical.priority == 0 and critical.reasons[0].signal == "severity_floor" and "merged" in critical.reasons[0].label
    urgent = score_priority(PriorityInput(category="technical_support", severity_urgent=0.75, severity_critical=0.2))
    assert urgent.priority == 1 and "at least P1" in urgent.reasons[0].label
    # unsure: a nudge to the score, no floor
    unsure = score_priority(PriorityInput(category="technical_support", severity_urgent=0.6, severity_critical=0.1))
    assert unsure.priority == 2 and any(r.signal == "severity" and r.contribution > 0 for r in unsure.reasons)
    # thresholds are weights: an admin can switch the floor off
    off = {"severity_p0": 2, "severity_p1": 2}
    assert score_priority(PriorityInput(severity_urgent=0.99, severity_critical=0.99), weights=off).priority > 1


def test_an_escalate_head_is_learned_when_flags_are_given() -> None:
    texts, priorities = history()
    flags = [priority == 0 or "nonprofit" in text for text, priority in zip(texts, priorities, strict=True)]
    model = SeverityModel().fit(texts, priorities, flags)
    incident, question = model.predict("Production is down for our 900 users"), model.predict("How do I change the colour of the widget?")
    assert incident.escalate is not None and question.escalate is not None
    assert incident.escalate > 0.6 and question.escalate < 0.4
    assert SeverityModel().fit(texts, priorities).predict("anything").escalate is None


def test_the_wording_signal_grows_from_its_floor_to_its_full_weight() -> None:
    from escalation_engine import scoring

    assert scoring.wording_signal(None) == 0.0 and scoring.wording_signal(0.2) == 0.0
    assert 0.0 < scoring.wording_signal(0.5) < 1.0 and scoring.wording_signal(0.9) == 1.0
    # at its full weight it is just short of escalating alone: with a valuable customer it escalates
    assert scoring.combine({"wording": 1.0}).recommendation == "monitor"
    assert scoring.combine({"wording": 1.0, "customer_value": 0.5}).recommendation == "priority"
    assert scoring.combine({"wording": 0.3, "customer_value": 0.5}).recommendation == "monitor"


def test_the_default_is_trained_on_the_written_mail_only() -> None:
    texts, priorities, escalate = default_model.severity_data()
    assert len(texts) == len(priorities) == len(escalate) >= 900 and set(priorities) == {0, 1, 2, 3}
    assert 0.15 < sum(escalate) / len(escalate) < 0.5
    categories_texts, _ = default_model.training_data()
    assert set(texts) <= set(categories_texts)  # the mail is in the category data too, with the corpus share
    assert len(categories_texts) == len(texts) + 8 * default_model.CORPUS_PER_LABEL == len(default_model.training_groups())
