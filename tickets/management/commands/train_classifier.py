"""``manage.py train_classifier --csv PATH --name NAME [--activate]``: train, save and record a model version.

``manage.py train_classifier --from-desk``: the nightly learning loop now (people's labels →
a candidate, promoted only if it beats the active version on the held-out labels).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets import learning_service
from tickets.models import ModelVersion
from tickets.triage.evaluate import DatasetError, read_labelled_csv
from tickets.triage_service import train_and_register


def _progress_bar(stage: str, fraction: float) -> None:
    filled = int(max(0.0, min(1.0, fraction)) * 30)
    sys.stderr.write(f"\r{stage[:28]:<28} [{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:5.1f}%")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Command(BaseCommand):
    help = "Train a triage classifier from a CSV with a text and a label column; print a JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", type=Path, help="train from this CSV (with --name)")
        parser.add_argument(
            "--from-desk",
            action="store_true",
            help="retrain from people's labels on the desk; promoted only if better on the held-out split (as the nightly task)",
        )
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--label-col", default="label")
        parser.add_argument("--name", help="unique name of the model version (with --csv)")
        parser.add_argument("--activate", action="store_true", help="make it the active classifier")
        parser.add_argument(
            "--kind",
            choices=["tfidf", "hybrid", "auto"],
            help="hybrid adds sentence embeddings (optional extra); default tfidf, or TRIAGE_RETRAIN_KIND with --from-desk",
        )
        parser.add_argument("--holdout", type=float, default=0.1, help="share kept out of training to measure the version (0 = none)")
        parser.add_argument("--if-missing", action="store_true", help="do nothing if a version with this name exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["from_desk"]:
            if options["csv"] or options["name"] or options["activate"]:
                raise CommandError("--from-desk takes no --csv, --name or --activate: it names and promotes the version itself.")
            self._from_desk(kind=options["kind"])
            return
        if not options["csv"] or not options["name"]:
            raise CommandError("Give --csv PATH and --name NAME, or --from-desk.")
        name = options["name"]
        if ModelVersion.objects.filter(name=name).exists():
            if options["if_missing"]:
                self.stdout.write(json.dumps({"name": name, "skipped": "exists"}))
                return
            raise CommandError(f"A model version named {name!r} already exists; choose another --name.")
        if not 0 <= options["holdout"] < 0.9:
            raise CommandError("--holdout must be between 0 and 0.9")
        try:
            texts, labels = read_labelled_csv(options["csv"], text_col=options["text_col"], label_col=options["label_col"])
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if len(set(labels)) < 2:
            raise CommandError("The CSV needs at least two different labels to train a classifier.")
        hold_texts: list[str] = []
        hold_labels: list[str] = []
        if options["holdout"] > 0:
            from sklearn.model_selection import train_test_split

            counts = {label: labels.count(label) for label in set(labels)}
            stratify = labels if min(counts.values()) >= 2 else None
            texts, hold_texts, labels, hold_labels = train_test_split(
                texts, labels, test_size=options["holdout"], random_state=13, stratify=stratify
            )
        started = time.perf_counter()
        try:
            summary = train_and_register(
                texts=list(texts),
                labels=list(labels),
                name=name,
                activate=options["activate"],
                kind=options["kind"] or "tfidf",
                holdout_texts=list(hold_texts),
                holdout_labels=list(hold_labels),
                progress=_progress_bar,
            )
        except (ImportError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        metrics = summary.metrics
        self.stdout.write(
            json.dumps(
                {
                    "name": summary.version.name,
                    "kind": summary.version.kind,
                    "file": summary.version.file_path,
                    "training_size": summary.version.training_size,
                    "labels": len(summary.version.labels),
                    "holdout_size": len(hold_texts),
                    "holdout_accuracy": metrics.get("accuracy"),
                    "holdout_macro_f1": metrics.get("macro_f1"),
                    "active": summary.promoted,
                    "train_seconds": round(time.perf_counter() - started, 2),
                },
                indent=2,
            )
        )

    def _from_desk(self, *, kind: str | None) -> None:
        started = time.perf_counter()
        summary = learning_service.retrain_from_desk(kind=kind)
        if summary is None:
            counts = learning_service.desk_labels().counts()
            self.stdout.write(json.dumps({"skipped": "too few human labels to train or to judge a candidate", "labels": counts}, indent=2))
            return
        metrics = summary.metrics
        active = metrics["holdout"]["active"] or {}
        self.stdout.write(
            json.dumps(
                {
                    "name": summary.version.name,
                    "promoted": summary.promoted,
                    "reason": metrics["promotion"]["reason"],
                    "labels": metrics["labels"],
                    "candidate": {
                        "category_accuracy": metrics["holdout"]["candidate"]["category"]["accuracy"],
                        "priority": metrics["holdout"]["candidate"]["priority"],
                    },
                    "active": {
                        "name": active.get("name"),
                        "category_accuracy": (active.get("category") or {}).get("accuracy"),
                        "priority": active.get("priority"),
                    },
                    "priority_weights": metrics["priority_weights"],
                    "train_seconds": round(time.perf_counter() - started, 2),
                },
                indent=2,
            )
        )
