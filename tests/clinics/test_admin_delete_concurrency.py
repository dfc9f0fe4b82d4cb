"""A clinic's two admins delete their accounts at the same moment: one
goes, the other is refused, and the clinic keeps an admin. Real threads and
transactions, on whichever database the suite runs on. On PostgreSQL both
once passed the only-admin check (each saw the other still there) and the
clinic was left with no admin to manage its staff or read its audit log."""

import pytest

from accounts import services
from clinics.models import Membership
from tests.concurrency import at_once
from tests.factories import make_admin, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_deleting_their_accounts_at_once_leave_one_admin():
    clinic = make_clinic()

    def delete(admin) -> str:
        try:
            services.account_delete(user=admin)
        except services.AccountDeletionRefused as refusal:
            return str(refusal)
        return "deleted"

    answers = at_once(delete, [make_admin(clinic=clinic), make_admin(clinic=clinic)])
    refused = [answer for answer in answers if answer != "deleted"]
    assert len(refused) == 1 and "only admin" in refused[0]
    assert Membership.objects.filter(clinic=clinic, role=Membership.Role.ADMIN).count() == 1
