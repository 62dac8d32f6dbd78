"""What the learning loop reads from the desk (human labels only, split by ticket id) and its safe refusals."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.factories import CategoryFactory, TicketFactory, UserFactory
from tickets import learning_service, tasks, triage_service
from tickets.models import ModelVersion, Ticket, TrainingLabel, TriageSettings
from tickets.services import recategorize_ticket, reprioritize_ticket
from tickets.triage import analysis, learning
from tickets.triage.classifier import Prediction

pytestmark = pytest.mark.django_db

REFUND_MAIL = (
    "Hello,\n\nI returned the espresso machine from order 48213 two weeks ago (the return label was from DHL, "
    "tracking shows it arrived at your warehouse on Tuesday). I still have not received the refund of 349.00 EUR "
    "on my card. Could you check what is holding it up?\n\nThanks,\n--\nTom Becker\nBecker & Sohn GmbH"
)


def labelled_tickets(n: int, *, by: Any, category: str = "billing") -> list[Ticket]:
    target = CategoryFactory.create(slug=category, name=category.title())
    tickets = TicketFactory.create_batch(n, subject="Refund not received for order 48213", body=REFUND_MAIL)
    for ticket in tickets:
        recategorize_ticket(ticket=ticket, category=target, by=by)
    return tickets


def test_only_peoples_labels_train_and_resolved_tickets_nobody_touched_are_weak_and_left_out() -> None:
    agent = UserFactory.create(role="agent")
    labelled = labelled_tickets(3, by=agent)
    guessed = CategoryFactory.create(slug="refund_request", name="Refund request")
    weak = TicketFactory.create_batch(4, subject="Refund", body=REFUND_MAIL, category=guessed, status="resolved")
    TicketFactory.create(subject="Open, unlabelled", body=REFUND_MAIL, category=guessed)  # open and unlabelled: not even weak

    labels = learning_service.desk_labels()

    used = {pk for pk, _, _ in labels.category_train + labels.category_holdout}
    assert used == {ticket.pk for ticket in labelled}
    assert not used & {ticket.pk for ticket in weak}
    assert labels.weak_excluded == 4
    assert {category for _, _, category in labels.category_train + labels.category_holdout} == {"billing"}


def test_the_split_is_by_ticket_id_and_labels_are_read_as_triage_reads_the_mail() -> None:
    tickets = labelled_tickets(30, by=UserFactory.create(role="agent"))
    labels = learning_service.desk_labels()
    assert {pk for pk, _, _ in labels.category_holdout} == {t.pk for t in tickets if learning.is_held_out(t.pk)}
    assert {pk for pk, _, _ in labels.category_train} == {t.pk for t in tickets if not learning.is_held_out(t.pk)}
    text = (labels.category_train or labels.category_holdout)[0][1]
    assert text == analysis.triage_text("Refund not received for order 48213", REFUND_MAIL)
    assert "Becker & Sohn" not in text  # the signature is not part of what triage reads


def test_a_label_records_who_and_how_and_the_latest_one_wins() -> None:
    agent, supervisor = UserFactory.create(role="agent"), UserFactory.create(role="supervisor")
    billing = CategoryFactory.create(slug="billing", name="Billing")
    refunds = CategoryFactory.create(slug="refund_request", name="Refund request")
    unsure = TicketFactory.create(subject="Refund", body=REFUND_MAIL, category=refunds, needs_triage=True)
    recategorize_ticket(ticket=unsure, category=refunds, by=agent)  # confirms the model's guess in Needs triage
    changed = TicketFactory.create(subject="Refund", body=REFUND_MAIL, category=refunds)
    recategorize_ticket(ticket=changed, category=billing, by=agent)
    recategorize_ticket(ticket=changed, category=refunds, by=supervisor)  # a second look
    confident = TicketFactory.create(subject="Refund", body=REFUND_MAIL, category=refunds)
    recategorize_ticket(ticket=confident, category=refunds, by=supervisor)  # confirmed in the workspace
    recategorize_ticket(ticket=confident, category=refunds, by=supervisor)  # and again: still one label
    reprioritize_ticket(ticket=changed, priority=1, by=agent)
    reprioritize_ticket(ticket=changed, priority=2, by=supervisor)

    confirmation = TrainingLabel.objects.get(ticket=unsure)
    assert (confirmation.source, confirmation.actor, confirmation.new_value) == ("confirmed", agent, "refund_request")
    assert set(TrainingLabel.objects.filter(ticket=changed).values_list("source", flat=True)) == {"corrected"}
    assert list(TrainingLabel.objects.filter(ticket=confident).values_list("source", "actor")) == [("confirmed", supervisor.pk)]
    labels = learning_service.desk_labels()
    categories = {pk: category for pk, _, category in labels.category_train + labels.category_holdout}
    assert categories == {unsure.pk: "refund_request", changed.pk: "refund_request", confident.pk: "refund_request"}
    (priority_label,) = labels.priority_train + labels.priority_holdout
    assert (priority_label.ticket_id, priority_label.priority, priority_label.category) == (changed.pk, 2, "refund_request")
    assert priority_label.facts.body == REFUND_MAIL


def test_too_few_held_out_labels_train_nothing_and_promote_nothing(settings: Any) -> None:
    active = triage_service.ensure_default_model()
    labelled_tickets(60, by=UserFactory.create(role="agent"))
    settings.TRIAGE_RETRAIN_MIN_LABELS = 10
    settings.TRIAGE_RETRAIN_MIN_HOLDOUT = 1_000

    assert learning_service.retrain_from_desk() is None
    assert tasks.retrain_classifier() == "skipped"
    assert list(ModelVersion.objects.all()) == [active] and active.is_active


def test_too_few_training_labels_train_nothing(settings: Any) -> None:
    labelled_tickets(12, by=UserFactory.create(role="agent"))
    settings.TRIAGE_RETRAIN_MIN_LABELS = 50
    assert learning_service.retrain_from_desk() is None
    assert not ModelVersion.objects.exists()


def test_the_command_retrains_from_the_desk_and_says_why_it_did_nothing() -> None:
    out = StringIO()
    call_command("train_classifier", "--from-desk", stdout=out)
    report = json.loads(out.getvalue())
    assert report["skipped"].startswith("too few human labels")
    assert report["labels"]["category_train"] == 0
    with pytest.raises(CommandError, match="--from-desk takes no"):
        call_command("train_classifier", "--from-desk", "--name", "x")
    with pytest.raises(CommandError, match="--csv PATH and --name NAME, or --from-desk"):
        call_command("train_classifier", "--name", "x")


def test_the_command_retrains_from_the_desk_and_promotes_what_beat_would(settings: Any) -> None:
    seed = triage_service.ensure_default_model()
    # This desk files refund mail under billing; the seed model does not.
    labelled_tickets(60, by=UserFactory.create(role="agent"))
    settings.TRIAGE_RETRAIN_MIN_LABELS = 10
    settings.TRIAGE_RETRAIN_MIN_HOLDOUT = 3
    out = StringIO()
    call_command("train_classifier", "--from-desk", stdout=out)
    report = json.loads(out.getvalue())
    assert report["promoted"] is True and report["reason"].startswith("better"), report
    assert report["active"]["name"] == seed.name
    assert report["candidate"]["category_accuracy"] > report["active"]["category_accuracy"]
    assert report["labels"]["category_train"] + report["labels"]["category_holdout"] == 60
    assert ModelVersion.objects.get(is_active=True).name == report["name"]


class FixedModel:
    """A classifier that always says ``delivery`` at 0.9, carrying learned priority weights like a saved version."""

    labels = ["billing", "delivery"]

    def __init__(self, weights: dict[str, float]) -> None:
        self.metadata = {"kind": "tfidf", "priority_weights": weights}

    def predict(self, text: str) -> Prediction:
        return Prediction(label="delivery", confidence=0.9, alternatives=[("delivery", 0.9), ("billing", 0.1)])


def test_a_versions_learned_priority_weights_apply_and_an_admins_own_weight_wins() -> None:
    facts = analysis.Facts(subject="Order 58120 not delivered yet", body=REFUND_MAIL.replace("refund", "parcel"))
    config = TriageSettings.current()
    plain = triage_service.analyze_facts(facts, config=config, classifier=FixedModel({}))
    learned = triage_service.analyze_facts(facts, config=config, classifier=FixedModel({"category_delivery": 0.25}))
    assert learned.decision.score == pytest.approx(plain.decision.score + 0.25, abs=1e-3)
    assert learned.decision.priority == plain.decision.priority - 1
    config.priority_weights = {"category_delivery": 0.0}
    overruled = triage_service.analyze_facts(facts, config=config, classifier=FixedModel({"category_delivery": 0.25}))
    assert overruled.decision.score == plain.decision.score
