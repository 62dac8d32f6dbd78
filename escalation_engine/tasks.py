"""Tasks of the escalation engine (thin: they call services). Task names are stable across releases."""

from __future__ import annotations

from typing import Any

from escalation_engine import forecast_learning, forecasting, whatif_runs
from escalation_engine.auto_close import run as auto_close_run
from escalation_engine.sweep import recheck_now, sweep
from foundation import outbox
from foundation.retry import TRANSIENT, retrying_task


@retrying_task("escalation.sweep", max_retries=3, backoff_max=30)
def sweep_escalations() -> int:
    """Every minute: check the tickets whose next check is due (locked rows are skipped, so runs may overlap)."""
    return sweep().escalated


@retrying_task("escalation.forecast_breaches", max_retries=2, backoff_max=30)
def forecast_breaches() -> int:
    """Every minute: replace every open ticket's breach forecast; a newly firing one is checked by the next sweep."""
    return forecasting.refresh_forecasts().tickets


@retrying_task(forecasting.TEAMS_TASK, max_retries=2, backoff_max=30)
def forecast_teams(team_ids: list[int]) -> int:
    """After an event (assignment, availability, a ticket joining a queue): these teams' forecasts, at once."""
    return forecasting.refresh_teams_now(team_ids).tickets


@retrying_task("escalation.fit_forecast_calibration", max_retries=2, backoff_max=300)
def fit_forecast_calibration() -> dict[str, Any]:
    """Daily: fit the forecast's calibration on the desk's known outcomes; adopted only if it beats the queue alone."""
    record = forecast_learning.fit()
    return {
        "adopted": record.adopted,
        "samples": record.samples,
        "brier_queue": record.brier_queue,
        "brier_calibrated": record.brier_calibrated,
    }


@retrying_task("escalation.check_ticket", max_retries=10)
def recheck_ticket(ticket_id: int) -> None:
    """Intake, triage and new messages ask for an immediate check instead of waiting for the sweep."""
    recheck_now(ticket_id)


@retrying_task("escalation.send_notification")
def send_notification(notification_id: int) -> None:
    """Deprecated (kept one release for tasks queued before the outbox): hands the notification's outbox message
    to ``foundation.send_outbox_message``, which sends it once and retries with backoff."""
    outbox.send_by_key(f"notification:{notification_id}")


@retrying_task("escalation.resend_pending_notifications", max_retries=3)
def resend_pending_notifications() -> int:
    """Deprecated (kept one release for old beat schedules): the outbox's one sweep, ``foundation.resend_outbox``."""
    return outbox.resend_overdue()


@retrying_task("escalation.auto_close", max_retries=3, backoff_max=60)
def auto_close() -> dict[str, int]:
    """Every 15 minutes: remind, then resolve, tickets pending the customer; close resolved ones (teams that opted in)."""
    result = auto_close_run()
    return {"reminded": result.reminded, "resolved": result.resolved, "closed": result.closed}


WHATIF_RETRIES = 3


@retrying_task(whatif_runs.TASK, max_retries=WHATIF_RETRIES, backoff=5, backoff_max=120, bind=True)
def whatif_run(self: Any, run_id: int) -> str | None:
    """A supervisor's what-if run: replayed, progress on the way, the result kept (``whatif_runs.execute``).

    Retried with backoff on transient errors; the last one fails the run instead of leaving it running."""
    try:
        run = whatif_runs.execute(run_id=run_id)
    except TRANSIENT as error:
        if self.request.retries >= WHATIF_RETRIES:
            whatif_runs.give_up(run_id=run_id, error=error)
        raise
    return run.status if run is not None else None


@retrying_task("escalation.whatif_fail_silent", max_retries=2)
def whatif_fail_silent() -> int:
    """Every 10 minutes: a what-if run whose worker went silent is failed (``whatif_runs.fail_silent_runs``)."""
    return whatif_runs.fail_silent_runs()
