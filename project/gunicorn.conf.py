"""gunicorn settings for Crest (`make serve` and the browser tests' server use
this file: `gunicorn -c project/gunicorn.conf.py project.wsgi`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Read the settings in the master, before it binds a port: without the
# required environment it stops here with one line naming the variable.
import project.settings  # noqa: E402,F401
