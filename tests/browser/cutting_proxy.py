"""A TCP forwarder in front of the live server with a slow uplink, whose open connections a
test can cut, as a dropped Wi-Fi does: requests in flight fail in the browser with a network
error, and the next ones connect again. Real sockets: the browser, the forwarder and the
server see what they would see on a real network. (Chromium's DevTools throttling does not
do for this: it only delays what was already sent, so a cut reaches nothing in flight.)"""

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator

CHUNK = 16 * 1024


class CuttingProxy:
    def __init__(self, target_port: int, *, upload_bytes_per_second: int | None = None) -> None:
        self.target_port = target_port
        self.upload_bytes_per_second = upload_bytes_per_second  # None: as fast as it goes
        # A small receive buffer (inherited by accepted sockets): the browser can only send
        # as fast as the forwarder reads, so its upload progress is what really went out.
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.failing: set[socket.socket] = set()  # browser ends answered with a 502
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def _accept(self) -> None:
        while self.running:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open.update((client, upstream))
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, uplink: bool) -> None:
        try:
            while chunk := source.recv(CHUNK):
                if source in self.failing:
                    continue  # answered 502 already: drain the body, send nothing on
                sink.sendall(chunk)
                rate = self.upload_bytes_per_second
                if uplink and rate:
                    time.sleep(len(chunk) / rate)
        except OSError:
            if source in self.failing:
                return
        finally:
            if source not in self.failing and sink not in self.failing:
                for end in (source, sink):
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> int:
        """Drop every open connection; returns how many. (`shutdown` first: closing a socket
        that another thread is reading from would neither wake that thread nor reach the
        browser.)"""
        with self.lock:
            ends, self.open = list(self.open), set()
        linger_off = struct.pack("ii", 1, 0)  # close with a reset, as a dead link looks
        for end in ends:
            with contextlib.suppress(OSError):
                end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_off)
                end.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                end.close()
        return len(ends) // 2

    def fail_in_flight(self) -> int:
        """What a gateway does when its upstream dies: every open connection gets a 502 and is
        closed once the browser's request body is drained (a reset while it still writes
        would make Chromium send the request again on its own). Returns how many."""
        with self.lock:
            pairs, self.pairs, self.open = self.pairs, [], set()
        answer = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        for client, upstream in pairs:
            self.failing.add(client)
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                client.sendall(answer)
                client.shutdown(socket.SHUT_WR)
        return len(pairs)

    def close(self) -> None:
        self.running = False
        self.listener.close()
        self.cut()


@contextlib.contextmanager
def cutting_proxy(
    target_port: int, *, upload_bytes_per_second: int | None = None
) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(target_port, upload_bytes_per_second=upload_bytes_per_second)
    try:
        yield proxy
    finally:
        proxy.close()
