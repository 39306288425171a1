"""The response value and the OpenAI-style JSON error bodies shared by every route."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
_ERROR_CODES = {401: "invalid_api_key", 404: "not_found", 429: "rate_limit_exceeded"}


class _Response(NamedTuple):
    """One answer; each wire waits ``delay`` seconds (a reply's) before sending it."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = {}
    delay: float = 0.0


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {
        "error": {"message": message, "type": kind, "param": None, "code": _ERROR_CODES.get(status)}
    }


def _json(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(obj).encode(), "application/json", headers or {})


def _not_found(kind: str, ident: str) -> _Response:
    return _json(404, _error_body(404, f"No such {kind} object: {ident}"))
