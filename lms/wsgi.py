import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")
django_application = get_wsgi_application()

# Heartbeats with a key in the Authorization header are answered before Django's handler
# (lms/learning/fastpath.py); everything else goes to Django.
from lms.learning.fastpath import HeartbeatWSGI  # noqa: E402 (needs the settings above)

application = HeartbeatWSGI(django_application)

# Everything loaded so far (Django, the apps, the URLconf: ~180,000 objects) lives as long as
# the process. Out of the collector's sight, a full collection no longer walks all of it: one
# took ~45 ms in a heartbeat-serving process, a pause every request in flight waits out.
# Under gunicorn with the platform's settings (lms/gunicorn_conf.py: preload_app) this runs in
# the master, before the workers fork.
gc.freeze()
