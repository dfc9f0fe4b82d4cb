from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files; also rewrites `import ... from "./x.js"`
    in our ES modules to the hashed names, so the service worker's precache
    (hashed URLs only) holds every module a page imports."""

    support_js_module_import_aggregation = True
