"""The one way JSON endpoints read a body: every bad body is a 4xx with a
JSON error, never a 500, however deep or large."""

import json

import pytest
from django.test import RequestFactory

from clinics.phone.jsonbody import JsonBodyError, parse_json_body


def post(body: bytes, content_type: str = "application/json"):
    # generic(): RequestFactory.post() drops the Content-Type of an empty body.
    return RequestFactory().generic("POST", "/api/", data=body, content_type=content_type, CONTENT_TYPE=content_type)


def test_a_json_object_is_returned_as_python_data():
    assert parse_json_body(post(b'{"items": [1, {"a": null}]}'), max_bytes=1000) == {"items": [1, {"a": None}]}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"[" * 4000 + b"]" * 4000, "application/json", 400),  # deep enough to crash a recursive parser
        (b'{"a": ' * 50 + b"1" + b"}" * 50, "application/json", 400),  # deeper than any real body
        (b"x" * 9000, "application/json", 413),
        (b"not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"n": ' + b"9" * 5000 + b"}", "application/json", 400),  # past Python's int digit limit
        (b'{"n": NaN}', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"a": 1}', "text/plain", 415),
        (b"a=1", "application/x-www-form-urlencoded", 415),
    ],
    ids=["very-deep", "deep", "large", "not-json", "not-utf8", "huge-int", "nan", "empty", "text", "form"],
)
def test_bad_bodies_raise_a_4xx_with_a_message(body, content_type, status):
    with pytest.raises(JsonBodyError) as caught:
        parse_json_body(post(body, content_type), max_bytes=8192)
    assert caught.value.status == status
    response = caught.value.response()
    assert response.status_code == status
    assert json.loads(response.content)["error"]


def test_a_json_content_type_with_a_charset_is_accepted():
    request = post(b'{"a": 1}', "application/json; charset=utf-8")
    assert parse_json_body(request, max_bytes=100) == {"a": 1}
