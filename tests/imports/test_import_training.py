"""The desk's own history trains the classifier: imported categories are labels, and the command promotes only a better model."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from imports import runner
from tickets import triage_service
from tickets.models import ModelVersion

pytestmark = pytest.mark.django_db

# "delivery" is this desk's own category, unknown to the seed corpus the default model learned from.
DELIVERY = [
    (
        "Parcel {n} still not delivered",
        "Hi, my parcel {n} was shipped ten days ago and the courier tracking has not moved since. Where is it?",
    ),
    ("Courier lost order {n}", "The courier says order {n} was delivered but nothing arrived at my door. Please check with the driver."),
    ("Delivery address wrong for {n}", "Order {n} is going to my old address, can the courier redirect the parcel to my new one?"),
]


def history_csv(n: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "subject", "body", "requester_email", "created_at", "resolved_at", "status", "priority", "category"])
    for i in range(n):
        subject, body = DELIVERY[i % len(DELIVERY)]
        writer.writerow([f"H-{i}", subject.format(n=40000 + i), body.format(n=40000 + i), f"c{i}@shop.example",
                         "2026-02-02T09:00:00Z", "2026-02-02T15:00:00Z", "resolved", "P2", "delivery"])  # fmt: skip
    return out.getvalue()


def test_imported_categories_train_a_model_that_is_promoted_only_because_it_is_better(settings: Any) -> None:
    seed = triage_service.ensure_default_model()
    report = runner.run("csv", text=history_csv(60))
    assert report.created == 60
    settings.TRIAGE_RETRAIN_MIN_LABELS = 10
    settings.TRIAGE_RETRAIN_MIN_HOLDOUT = 3
    out = StringIO()
    call_command("train_classifier", "--from-desk", stdout=out)
    result = json.loads(out.getvalue())
    assert result["labels"]["category_train"] + result["labels"]["category_holdout"] == 60
    assert result["active"]["name"] == seed.name
    assert result["candidate"]["category_accuracy"] > result["active"]["category_accuracy"]
    assert result["promoted"] is True and ModelVersion.objects.get(is_active=True).name == result["name"]

    # The same history again is not better than the model that learned it: nothing is promoted.
    out = StringIO()
    call_command("train_classifier", "--from-desk", stdout=out)
    again = json.loads(out.getvalue())
    assert again["promoted"] is False and ModelVersion.objects.get(is_active=True).name == result["name"]
