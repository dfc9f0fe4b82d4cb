"""The phone's JSON endpoints answer any body, however deep or large, with a
4xx and a JSON error: never a 500."""

import pytest
from django.urls import reverse

from clinics.models import LessonProgress
from tests.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"[" * 5000 + b"]" * 5000, 400), (b'{"items": ["' + b"a" * 3_000_000 + b'"]}', 413)],
    ids=["deeply-nested", "larger-than-django-reads"],
)
def test_sync_api_answers_deep_or_large_bodies_with_a_json_4xx(client, body, status):
    client.force_login(make_patient().user)
    response = client.post(reverse("phone:api_sync"), data=body, content_type="application/json")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]
    assert not LessonProgress.objects.exists()
