"""A clinic's two admins delete their accounts at the same moment: one
goes, the other is refused, and the clinic keeps an admin. Real threads and
transactions, on whichever database the suite runs on. On PostgreSQL both
once passed the only-admin check (each saw the other still there) and the
clinic was left with no admin to manage its staff or read its audit log."""

import threading

import pytest
from django.db import connection

from accounts import services
from clinics.models import Membership
from tests.factories import make_admin, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_deleting_their_accounts_at_once_leave_one_admin():
    clinic = make_clinic()
    admins = [make_admin(clinic=clinic), make_admin(clinic=clinic)]
    barrier = threading.Barrier(len(admins))
    refused: list[str] = []
    errors: list[str] = []

    def delete(admin) -> None:
        try:
            barrier.wait()
            services.account_delete(user=admin)
        except services.AccountDeletionRefused as refusal:
            refused.append(str(refusal))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=delete, args=(admin,)) for admin in admins]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(refused) == 1 and "only admin" in refused[0]
    assert Membership.objects.filter(clinic=clinic, role=Membership.Role.ADMIN).count() == 1
