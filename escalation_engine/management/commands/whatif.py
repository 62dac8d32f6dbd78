"""``manage.py whatif --from DATE --to DATE --scenario FILE --json``: the desk's own period replayed, baseline and scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation_engine.whatif import ScenarioError, parse_day, run_whatif, side_by_side


class Command(BaseCommand):
    help = "Replay a period of the desk's own tickets at the desk as it is and changed by a scenario (JSON file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="since", required=True, help="ISO date or datetime (UTC unless it says otherwise)")
        parser.add_argument("--to", dest="until", required=True, help="ISO date or datetime, exclusive")
        parser.add_argument("--scenario", required=True, help="scenario JSON file (README: What-if on your own history)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = Path(options["scenario"]).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read the scenario file: {error}") from error
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"the scenario file is not JSON: {error}") from error
        try:
            result = run_whatif(since=parse_day(options["since"]), until=parse_day(options["until"]), scenario=data, seed=options["seed"])
        except ScenarioError as error:
            raise CommandError(f"bad scenario: {error}") from error
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
            return
        for measure, base, other in side_by_side(result):
            self.stdout.write(f"{measure:<48} {base!s:>12} {other!s:>12}")
