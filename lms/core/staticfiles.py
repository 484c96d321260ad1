"""The static files' storage: whitenoise's compressed, hashed files, with the `import`
statements of the platform's JavaScript modules pointed at the hashed names too, so that a
page and the modules it imports always come from the same release."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    support_js_module_import_aggregation = True
