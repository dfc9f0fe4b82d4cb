"""Secret links (an invite, a set-password or new-passphrase link) have one
address in every language. The language redirect leaves them alone
(offline.i18n.SECRET_LINK_ROUTES): a redirect would write the secret into a
second log line and into a second, Spanish path. The page is read in the
language the person wants (their saved choice, else their browser's) at the
address the link gave."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import translation


def in_the_wanted_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A path without a language prefix answers in the wanted language, not
    in English; a prefixed one (an older /es/ link) keeps its own."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not translation.get_language_from_path(request.path_info):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return view(request, *args, **kwargs)

    return wrapped
