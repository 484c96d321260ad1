"""gunicorn's settings for the platform's web processes:

    gunicorn -c python:lms.gunicorn_conf

Options given on the command line override them (`scripts/start.sh` binds a local port and
runs two workers, say).
"""

import os

wsgi_app = "lms.wsgi:application"

# One process per core (a Python process runs on one core at a time), each with threads for
# the time a request waits on the database or the storage, and so that one slow client (a
# video segment streamed from local storage, a body sent slowly) does not hold up the others.
# Behind a proxy that buffers requests and responses, with the media in S3, `WEB_THREADS=1`
# is cheaper: measured on the 2-core machine, heartbeats at 800/s (3 alternating pairs of
# scripts/bench_heartbeats.py --seconds 30 --rate 800 --ramp-seconds 10 --hold-seconds 10
# --phases fixed,max --threads 1, then 4) cost the whole machine 1.80-1.90 ms each against
# 1.96-2.08 ms with 4 threads (PostgreSQL 0.31-0.33 against 0.39-0.43 ms), with p99 64-84 ms
# against 100-151 ms.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)

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
