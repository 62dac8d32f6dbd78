"""Cursor pagination for API lists: the body stays a JSON list, the next page is in a ``Link`` header.

``?limit=`` (1-200, default 50) and ``?cursor=`` (opaque, from the previous page's
``Link: <…>; rel="next"``); a cursor keeps its place while new rows arrive, unlike an offset.
A malformed cursor is 404 (DRF's "Invalid cursor"), a malformed limit 400 naming ``limit``.
Lists ordered by more than one key that DRF cannot page (the escalation inbox's urgency) use
``keyset_page``: a signed cursor holding the last row's keys; a bad one is 400 naming ``cursor``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

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


@dataclass(frozen=True)
class Key:
    """One column of a keyset ordering: its name on the rows (a field or an annotation), direction, and JSON type."""

    name: str
    descending: bool = False
    kind: str = "int"  # int | float | str | datetime (ISO 8601 in the cursor)

    def encode(self, value: Any) -> Any:
        return value.isoformat() if self.kind == "datetime" else value

    def decode(self, value: Any) -> Any:
        if self.kind == "datetime" and isinstance(value, str) and len(value) <= 40:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError(self.name)
            return parsed
        if self.kind == "float" and isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        if self.kind == "int" and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            return value
        if self.kind == "str" and isinstance(value, str) and len(value) <= 500:
            return value
        raise ValueError(self.name)


CURSOR_SALT = "foundation.api_pagination.keyset"


def _after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the keyset order: (a > x) or (a = x and b > y) or …"""
    condition = Q()
    for position, key in enumerate(keys):
        step = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": values[position]})
        for earlier, value in zip(keys[:position], values[:position], strict=True):
            step &= Q(**{earlier.name: value})
        condition |= step
    return condition


def keyset_page(request: Request, queryset: Any, *, keys: Sequence[Key]) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` ordered by ``keys`` (the last unique), and the next page's URL, or None.

    For orderings DRF's ``CursorPagination`` cannot page well (it positions on the first field
    only, then counts an offset: an inbox ordered by a two-valued urgency would be one long
    offset). The cursor is the last row's key values, JSON signed with the project's secret
    (``django.core.signing``): opaque, and a forged or damaged one is a 400 naming ``cursor``.
    """
    try:
        limit = strict_int(request.query_params.get("limit", str(DEFAULT_LIMIT)), field="limit", minimum=1, maximum=MAX_LIMIT)
    except InputError as error:
        raise ValidationError({error.field: [error.message]}) from None
    ordered = queryset.order_by(*(f"-{k.name}" if k.descending else k.name for k in keys))
    raw = request.query_params.get("cursor", "")
    if raw:
        try:
            values = signing.loads(raw[:2000], salt=CURSOR_SALT)
            if not isinstance(values, list) or len(values) != len(keys):
                raise ValueError("cursor")
            values = [key.decode(value) for key, value in zip(keys, values, strict=True)]
        except (signing.BadSignature, ValueError, TypeError, UnicodeError):
            raise ValidationError({"cursor": ['cursor is not one this API gave out; use the Link header\'s rel="next" URL.']}) from None
        ordered = ordered.filter(_after(keys, values))
    rows = list(ordered[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = [key.encode(getattr(rows[-1], key.name)) for key in keys]
    token = signing.dumps(last, salt=CURSOR_SALT, compress=True)
    return rows, replace_query_param(request.build_absolute_uri(), "cursor", token)
