"""``manage.py evaluate_classifier --csv PATH --model NAME --json``: accuracy, F1, latency, coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.models import ModelVersion, TriageSettings
from tickets.triage.evaluate import DatasetError, evaluate, read_labelled_csv
from tickets.triage_service import load_version


class Command(BaseCommand):
    help = "Evaluate a saved model version on a labelled CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, type=Path)
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--label-col", default="label")
        parser.add_argument("--model", required=True, help="model version name")
        parser.add_argument("--threshold", type=float, default=None, help="confidence threshold (default: the admin setting)")
        parser.add_argument("--json", action="store_true", help="print only JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        version = ModelVersion.objects.filter(name=options["model"]).first()
        if version is None:
            names = ", ".join(ModelVersion.objects.values_list("name", flat=True)[:20]) or "none yet"
            raise CommandError(f"No model version named {options['model']!r} (available: {names}).")
        try:
            texts, labels = read_labelled_csv(options["csv"], text_col=options["text_col"], label_col=options["label_col"])
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc)) from None
        threshold = options["threshold"] if options["threshold"] is not None else TriageSettings.current().confidence_threshold
        try:
            classifier = load_version(version)
        except (OSError, ImportError) as exc:
            raise CommandError(f"Cannot load model file {version.file_path}: {exc}") from None
        result = evaluate(classifier, texts, labels, threshold=threshold)
        result["model"] = version.name
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{version.name}: accuracy {result['accuracy']:.4f}, macro-F1 {result['macro_f1']:.4f} on {result['n']} texts; "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; coverage {result['coverage']:.3f} at {threshold} "
            f"with accuracy {result['accuracy_at_threshold']:.4f}"
        )
