"""Refuse oversized request bodies before any view reads them (DRF parsers bypass Django's check)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length must be a number."}, status=400)
        if limit is not None and length > limit:
            return JsonResponse({"detail": f"Request body is too large (limit {limit} bytes)."}, status=413)
        return self.get_response(request)
