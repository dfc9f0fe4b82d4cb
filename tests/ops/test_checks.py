"""The deployment checks `make serve` runs (`manage.py check --deploy`,
ops.checks): a production setting that would quietly weaken staff sign-in."""

from django.core import checks

from ops.checks import crest_deploy_checks


def ids(**kwargs) -> list[str]:
    return [message.id for message in crest_deploy_checks(None, **kwargs)]


def test_production_with_a_trusted_proxy_and_two_factors_has_nothing_to_say(settings):
    settings.DEBUG, settings.HTTPS, settings.STAFF_MFA = False, True, True
    settings.TRUSTED_PROXIES = ("10.0.0.10/32",)
    assert ids() == []


def test_staff_signing_in_with_a_password_alone_is_a_warning(settings):
    settings.DEBUG, settings.HTTPS, settings.STAFF_MFA = False, True, False
    settings.TRUSTED_PROXIES = ("10.0.0.10/32",)
    assert ids() == ["crest.W001"]


def test_no_trusted_proxy_behind_tls_is_a_warning_that_names_the_lockout(settings):
    settings.DEBUG, settings.HTTPS, settings.STAFF_MFA = False, True, True
    settings.TRUSTED_PROXIES = ()
    (message,) = crest_deploy_checks(None)
    assert message.id == "crest.W002" and message.level == checks.WARNING
    assert f"{settings.LOGIN_FAILURE_LIMITS['address']} of them lock everyone out" in message.msg


def test_local_serving_is_left_alone(settings):
    settings.DEBUG, settings.STAFF_MFA, settings.TRUSTED_PROXIES = True, False, ()
    assert ids() == []
    settings.DEBUG, settings.HTTPS = False, False  # plain HTTP on a laptop: no proxy expected
    assert ids() == ["crest.W001"]


def test_the_checks_run_with_check_deploy_only(settings):
    settings.DEBUG, settings.HTTPS, settings.STAFF_MFA, settings.TRUSTED_PROXIES = False, True, False, ()
    assert "crest.W001" in [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "crest.W001" not in [m.id for m in checks.run_checks()]
