"""The backend that checks passwords and loads the signed-in person."""

from django.contrib.auth import backends, get_user_model

# Sessions name the backend that signed the person in; this one's path.
PATH = "accounts.backends.ModelBackend"


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, except that the signed-in person comes with
    their clinic membership and its clinic (staff), in the same query: every
    clinic page needs both, and a patient's empty join costs nothing."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("membership__clinic").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
