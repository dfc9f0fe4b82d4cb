from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Crest's user. Made before the first migration so it can grow freely.

    Patients sign up through a clinic invite with only a username and a
    passphrase: no email, no real name.
    """
