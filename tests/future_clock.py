"""``pytest -p tests.future_clock``: run the session 400 days ahead of today.

CI runs the date-sensitive modules this way once more, so a test that quietly depends on
today's date (a pinned date that will pass, a window computed from now) fails while it is
still a warning and not a red main. Tests that pin their own instant (``@pytest.mark.travel``)
travel from there; only this process is moved, so integration tests are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

_traveller: Any = None


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    _traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=400), tick=True)
    _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _traveller is not None:
        _traveller.stop()
