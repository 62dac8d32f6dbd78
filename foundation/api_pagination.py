"""Cursor pagination for API lists: the body stays a JSON list, the next page is in a ``Link`` header.

``?limit=`` (1-200, default 50) and ``?cursor=`` (opaque, from the previous page's
``Link: <…>; rel="next"``); a cursor keeps its place while new rows arrive, unlike an offset.
A malformed cursor is 404 (DRF's "Invalid cursor"), a malformed limit 400 naming ``limit``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from foundation.parsing import InputError, strict_int

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

PARAMETERS = [
    OpenApiParameter(
        "limit", int, OpenApiParameter.QUERY, required=False, description=f"Rows per page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})."
    ),
    OpenApiParameter(
        "cursor", str, OpenApiParameter.QUERY, required=False, description='From the previous page\'s Link: rel="next" header.'
    ),
]


def paginated(serializer: Any, description: str) -> OpenApiResponse:
    return OpenApiResponse(response=serializer, description=f'{description} Next page: the Link header (rel="next").')


def page(request: Request, queryset: Any, *, ordering: tuple[str, ...], view: Any) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` in ``ordering`` (its last field unique) and the next page's URL, or None."""
    try:
        limit = strict_int(request.query_params.get("limit", str(DEFAULT_LIMIT)), field="limit", minimum=1, maximum=MAX_LIMIT)
    except InputError as error:
        raise ValidationError({error.field: [error.message]}) from None
    paginator = CursorPagination()
    paginator.ordering = ordering
    paginator.page_size = limit
    paginator.page_size_query_param = None
    rows = list(paginator.paginate_queryset(queryset, request, view=view) or [])
    return rows, paginator.get_next_link()


def respond(data: Any, next_url: str | None) -> Response:
    response = Response(data)
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response
