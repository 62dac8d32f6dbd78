"""The one project error a service raises when a request cannot be honoured (besides ``ValidationError``).

The API's exception handler and the console's error handling turn it into a response with
its HTTP status and message, so services never build responses themselves.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal with a clear message and the HTTP status that fits it (409 conflict, 422 mismatch, …)."""

    def __init__(self, message: str, *, status: int = 400, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
