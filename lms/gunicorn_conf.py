"""gunicorn's settings for the platform's web processes:

    gunicorn -c python:lms.gunicorn_conf

Options given on the command line override them (`scripts/start.sh` binds a local port and
runs two workers, say).
"""

import os

wsgi_app = "lms.asgi:application"

# One process per core (a Python process runs on one core at a time), each an asyncio event
# loop (gunicorn's `asgi` worker) that reads requests and writes answers for all its
# connections and answers the progress heartbeats itself; Django's requests run on
# `WEB_THREADS` threads (default 4) in each process, waiting on the database or the storage
# there (lms/asgi.py).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "asgi"
# Django speaks no ASGI lifespan (lms/asgi.py has nothing to start or stop).
asgi_lifespan = "off"
# Python's own event loop and gunicorn's Python HTTP parser, whatever else is installed (the
# defaults take uvloop and gunicorn_h1c when present): with both, a bare app at 800 requests/s
# cost 0.20-0.28 ms of CPU per request against 0.27-0.38 ms, but a heartbeat the same,
# 1.46/1.46 against 1.43/1.52 ms (2 alternating pairs of scripts/bench_heartbeats.py
# --seconds 30 --rate 800 --ramp-seconds 10 --hold-seconds 10 --baseline-seconds 10 --phases
# bare-rate,fixed,max, GUNICORN_CMD_ARGS="--asgi-loop asyncio --http-parser python", then
# "--asgi-loop uvloop --http-parser fast"): not worth two more dependencies.
asgi_loop = "asyncio"
http_parser = "python"

# Django, the apps and the URLconf are imported once, in the master, and the workers share
# those pages (lms/wsgi.py freezes them out of the garbage collector's sight before the fork):
# measured on the 2-core machine with 2 workers, 153-155 MB of memory in all (PSS) against
# 200 MB when each worker imports them itself, and workers start warm. A new release needs a
# restart, not a HUP.
preload_app = True

# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# evenly over them. On the one shared socket, whichever worker wakes first takes a connection,
# and keep-alive connections opened together (a proxy's pool, players starting at once) mostly
# land on one worker: measured on the 2-core machine, 64 connections split 51/13 or 64/0
# between two workers, and heartbeats then stalled at ~630/s with one worker's core saturated
# and the other idle; with their own sockets, 32/32 or 34/30.
reuse_port = True
