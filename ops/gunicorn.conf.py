"""gunicorn settings for Crest: `gunicorn -c ops/gunicorn.conf.py project.wsgi`
(`make serve` and the test server use this file).

Logs hold no secrets: the access log's request line goes through
ops.redact (invite codes, set-password and new-passphrase tokens and
query strings replaced), Referer and other headers are never written, and
the error log is filtered the same way."""

import sys
from pathlib import Path

from gunicorn import glogging

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Read the settings in the master, before it binds a port: without the
# required environment it stops here with one line naming the variable.
import project.settings  # noqa: E402,F401
from ops.redact import RedactSecretsFilter, redact_uri  # noqa: E402

accesslog = "-"
errorlog = "-"
# gunicorn's default format less the Referer, plus the time taken.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(a)s" %(M)sms'


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with the request line redacted and no header other
    than the User-Agent available to the access log format."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.addFilter(RedactSecretsFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = {key: value for key, value in super().atoms(resp, req, environ, request_time).items()
                 if not key.startswith("{")}  # request/response headers and environ: never logged
        uri = redact_uri(environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {uri} {environ.get('SERVER_PROTOCOL')}"
        atoms["U"] = redact_uri(environ.get("PATH_INFO", ""))
        atoms["q"] = ""
        atoms["f"] = "-"
        return atoms


logger_class = RedactingLogger
