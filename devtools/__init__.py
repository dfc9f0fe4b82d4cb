"""Tools that start and drive Crest for the tests and for bench/: a
production-like server (devtools.server) and the Chromium settings
(devtools.browser). Never imported by the app."""
