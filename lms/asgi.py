"""What gunicorn serves (lms/gunicorn_conf.py: its `asgi` worker, one event loop per process).

Header-authenticated progress heartbeats, the request every watching member sends every ~10 s,
are answered in front of Django (lms/learning/fastpath.py), with their database work on a
thread of their own. Everything else goes to Django's WSGI handler, unchanged, on a pool of
`WEB_THREADS` threads (a2wsgi): each thread keeps its database connection (CONN_MAX_AGE), and
request bodies and responses (uploads, video segments) stream through with back-pressure, as
under a threaded WSGI server.

Why not WSGI: measured on the 2-core machine at 1,000 requests/s arriving one by one, gunicorn's
asyncio worker spent 0.30 ms of CPU per request on a bare app against 0.57-0.65 ms for its
threaded WSGI worker, and a heartbeat cost gunicorn 1.70 ms against 2.02 ms
(scripts/bench_heartbeats.py). Why not Django's own ASGI handler: it runs each request on a
new thread, so a new database connection per request, and reads a streamed response (a video
segment) whole into memory.
"""

import gc
import os
from typing import Any, cast

from a2wsgi import WSGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.local")

from lms.wsgi import django_application  # sets Django up

# isort: split
from lms.learning.fastpath import HeartbeatASGI  # needs Django set up

WEB_THREADS = int(os.environ.get("WEB_THREADS") or 4)

application = HeartbeatASGI(WSGIMiddleware(cast(Any, django_application), workers=WEB_THREADS))

# See lms/wsgi.py: what is loaded now lives as long as the process.
gc.freeze()
