"""What gunicorn serves (lms/gunicorn_conf.py: its `asgi` worker, one event loop per process).

Header-authenticated progress heartbeats, the request every watching member sends every ~10 s,
are answered in front of Django on the event loop's thread (lms/learning/fastpath.py,
`HeartbeatASGI`). Everything else goes to Django's WSGI handler, unchanged, on a pool of
`WEB_THREADS` threads (a2wsgi): each thread keeps its database connection (CONN_MAX_AGE), and
request bodies and responses (uploads, video segments) stream through with back-pressure, as
under a threaded WSGI server.

Why not WSGI: measured on the 2-core machine in 3 alternating pairs of
`scripts/bench_heartbeats.py --seconds 30 --rate 800 --ramp-seconds 10 --hold-seconds 10
--baseline-seconds 10 --phases bare-rate,fixed,max`, then the same with `--worker-class gthread
--app lms.wsgi:application` (gunicorn's threaded WSGI worker, 4 threads): a bare app at 800
requests/s cost gunicorn 0.23-0.25 ms of CPU per request against 0.62-0.64 ms; a heartbeat
1.32-1.41 ms against 1.53-1.57 ms (the whole machine 1.95-2.08 against 2.16-2.23 ms), with p50
5.7-6.8 ms against 19-32 ms; and the most heartbeats answered per second rose from 842-1,035
to 1,161-1,312. (The asgi worker then ran with uvloop and gunicorn_h1c, which change a
heartbeat's cost by less than the noise: see lms/gunicorn_conf.py.)

Why not Django's own ASGI handler: it runs each request on a new thread, so a new database
connection per request, and reads a streamed response (a video segment) whole into memory.
"""

import gc
import os
from typing import Any, cast

from a2wsgi import WSGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")
# The heartbeat's database work runs on the event loop's thread, by design (HeartbeatASGI);
# Django's own requests run on a2wsgi's threads, where no loop runs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from lms.wsgi import django_application  # sets Django up

# isort: split
from lms.learning.fastpath import HeartbeatASGI  # needs Django set up

WEB_THREADS = int(os.environ.get("WEB_THREADS") or 4)

application = HeartbeatASGI(WSGIMiddleware(cast(Any, django_application), workers=WEB_THREADS))

# See lms/wsgi.py: what is loaded now lives as long as the process.
gc.freeze()
