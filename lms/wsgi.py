import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.local")
django_application = get_wsgi_application()

# Heartbeats with a key in the Authorization header are answered before Django's handler
# (lms/learning/fastpath.py); everything else goes to Django.
from lms.learning.fastpath import HeartbeatWSGI  # noqa: E402 (needs the settings above)

application = HeartbeatWSGI(django_application)
