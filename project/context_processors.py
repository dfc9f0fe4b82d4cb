from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from offline import i18n


def languages(request: HttpRequest) -> dict:
    """The language switch and the hreflang alternates of this page.

    The switch is a plain link to /language/<code>/?next=<the twin>: the
    same for everyone (public pages are cached and kept on phones, so they
    carry no CSRF token), it works without JavaScript, and the service
    worker can answer it offline.
    """
    current = translation.get_language()
    path = request.get_full_path()
    translated = i18n.has_twins(request.path_info)
    # A secret link stays where it is: the switch saves the choice and
    # comes back to the same address (offline.i18n.SECRET_LINK_ROUTES).
    secret = not translated and i18n.is_secret_link(request.path_info)
    switch = []
    alternates = []
    for code in i18n.language_codes():
        if translated or secret:
            twin = i18n.twin_url(path, code)
        else:
            twin = reverse_in("home", code)
        if code != current:
            switch.append(
                {
                    "code": code,
                    "name": i18n.language_name(code),
                    "url": f"{reverse('language_set', kwargs={'code': code})}?{urlencode({'next': twin})}",
                }
            )
        if translated:
            alternates.append({"code": code, "url": request.build_absolute_uri(twin)})
    if alternates:
        default = next(a for a in alternates if a["code"] == settings.LANGUAGE_CODE)
        alternates.append({"code": "x-default", "url": default["url"]})
    return {"language_switch": switch, "language_alternates": alternates}


def reverse_in(name: str, code: str) -> str:
    with translation.override(code):
        return reverse(name)
