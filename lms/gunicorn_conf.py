"""gunicorn's settings for the platform's web processes:

    gunicorn -c python:lms.gunicorn_conf

Options given on the command line override them (`scripts/start.sh` binds a local port and
runs two workers, say). Measurements behind these choices: docs/performance.md.
"""

import os

wsgi_app = "lms.wsgi:application"

# One process per core (a Python process runs on one core at a time), each with a pool of
# `WEB_THREADS` threads (default 4): plain synchronous Django, where a request waiting on the
# database or the storage holds up only its own thread. Each thread keeps its database
# connection (CONN_MAX_AGE).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
# A player keeps its connection open between heartbeats (~30 s apart), and a proxy its pool.
keepalive = 75

# Django, the apps and the URLconf are imported once, in the master, and the workers share
# those pages (lms/wsgi.py freezes them out of the garbage collector's sight before the fork):
# less memory in all, and workers start warm. A new release needs a restart, not a HUP.
preload_app = True

# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# evenly over them. On one shared socket, whichever worker wakes first takes a connection, and
# keep-alive connections opened together (a proxy's pool, players starting at once) mostly
# land on one worker, whose core then caps the rate while the other idles.
reuse_port = True
