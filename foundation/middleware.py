"""Request size limit (DRF parsers bypass Django's check) and the security headers Django lacks."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from foundation.parsing import MAX_DATABASE_ID, parse_int


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = parse_int(request.META.get("CONTENT_LENGTH") or "0", minimum=0, maximum=MAX_DATABASE_ID)
        if length is None:
            return JsonResponse({"detail": "Content-Length must be a number of bytes."}, status=400)
        if limit is not None and length > limit:
            return JsonResponse({"detail": f"Request body is too large (limit {limit} bytes)."}, status=413)
        return self.get_response(request)


def content_security_policy() -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy (no inline script or style) and a Permissions-Policy.

    Django's ``SecurityMiddleware`` already sends nosniff, Referrer-Policy, COOP and, behind
    TLS, HSTS; ``XFrameOptionsMiddleware`` sends X-Frame-Options.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response
