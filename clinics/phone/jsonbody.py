"""Read a JSON request body safely: the one way Crest's JSON endpoints parse
what a phone (or anyone) sends.

Every bad body becomes a JsonBodyError with a 4xx status and a plain message,
never an exception that turns into a 500:

- 415 when the Content-Type is not application/json;
- 413 when the body is larger than the endpoint allows (checked from
  Content-Length before anything is read, so Django's own 2.5 MB limit, which
  answers with an HTML page, is never reached);
- 400 when it is not UTF-8 JSON, holds NaN/Infinity or a number too long
  to convert, or nests deeper than MAX_DEPTH (a body of 100,000 "[" crashes
  Python's recursive decoder, so nesting is measured before decoding).

Usage in a view:

    try:
        data = parse_json_body(request, max_bytes=64 * 1024)
    except JsonBodyError as error:
        return error.response()
"""

import json

from django.http import HttpRequest, JsonResponse

# Real bodies nest three or four levels; nothing a phone sends needs more.
MAX_DEPTH = 20


class JsonBodyError(Exception):
    """A request body Crest will not read; `status` is the HTTP status to
    answer with, the message is safe to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.message}, status=self.status)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _depth(text: str) -> int:
    """The deepest nesting of [ and { in a JSON text, ignoring brackets
    inside strings. A linear scan: no recursion, whatever the input."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json_body(request: HttpRequest, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> object:
    """The request's JSON body as Python data; JsonBodyError otherwise."""
    if request.content_type != "application/json":
        raise JsonBodyError(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise JsonBodyError(400, "The Content-Length header is not a number.") from None
    if length > max_bytes:
        raise JsonBodyError(413, f"The body is too large: at most {max_bytes} bytes.")
    body = request.body
    if len(body) > max_bytes:  # belt and braces: a body longer than its header said
        raise JsonBodyError(413, f"The body is too large: at most {max_bytes} bytes.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError(400, "The body must be UTF-8 JSON.") from None
    if _depth(text) > max_depth:
        raise JsonBodyError(400, f"The JSON nests too deeply: at most {max_depth} levels.")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, NaN, numbers past the digit limit
        raise JsonBodyError(400, "The body is not valid JSON.") from None
