"""What gunicorn serves (lms/gunicorn_conf.py: its threaded worker)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URLconf: ~180,000 objects) lives as long as
# the process. Out of the collector's sight, a full collection no longer walks all of it (a
# pause every request in flight would wait out). Under gunicorn with the platform's settings
# (lms/gunicorn_conf.py: preload_app) this runs in the master, before the workers fork.
gc.freeze()
