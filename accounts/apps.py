from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import services, throttle

        user_logged_in.connect(services.session_length_on_sign_in, dispatch_uid="accounts.session_length")
        user_login_failed.connect(throttle.on_login_failed, dispatch_uid="accounts.throttle.failed")
        user_logged_in.connect(throttle.on_logged_in, dispatch_uid="accounts.throttle.logged_in")
        user_logged_in.connect(services.security_on_sign_in, dispatch_uid="accounts.security.signed_in")
