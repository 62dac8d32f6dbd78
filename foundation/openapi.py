"""OpenAPI post-processing: document the error responses every operation can give.

All API errors are JSON objects — ``{"detail": "..."}`` or ``{"field": ["message", ...]}`` —
so each operation gets 400/401/403/404/409/413/422/429 with that shape, unless it documents
its own. Clients (and schemathesis in CI) can then rely on the schema for failures too.
"""

from __future__ import annotations

from typing import Any

ERROR_CODES = {
    "400": "Invalid input; the body says which field and why.",
    "401": "Not authenticated, or a webhook signature that does not match.",
    "403": "Your role does not allow this.",
    "404": "No such object, or not one you may see.",
    "409": "Conflict with the current state (someone else acted first, agent offline or full).",
    "413": "Request body too large.",
    "422": "Understood but refused: e.g. an Idempotency-Key (or webhook event id) reused for a different request.",
    "429": "Too many requests.",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "description": '{"detail": "..."} or {"field": ["message", ...]}',
        "additionalProperties": True,
        "properties": {"detail": {"type": "string"}},
    }
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, description in ERROR_CODES.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                )
    return result
