"""The admin's imports run here, in the background (thin: the work is ``imports.services.execute_run``)."""

from __future__ import annotations

from celery import shared_task

from imports import services


@shared_task(name="imports.run_import", acks_late=True)
def run_import(run_id: int) -> str:
    run = services.execute_run(run_id=run_id)
    return "gone" if run is None else run.status
