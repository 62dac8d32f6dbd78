"""Portal tasks."""

from __future__ import annotations

from foundation.retry import retrying_task
from portal import services


@retrying_task("portal.send_sign_in_link")
def send_sign_in_link(email: str) -> bool:
    """Look the address up and, for a customer, queue the sign-in e-mail (the outbox sends it).

    A task, not the request, so the sign-in page takes the same time for a known and an
    unknown address: its answer's timing tells nothing either.
    """
    return services.request_link(email=email) is not None
