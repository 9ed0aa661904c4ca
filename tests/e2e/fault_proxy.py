"""An HTTP/1.1 proxy on 127.0.0.1 in front of one upstream, which injects faults that a test plans.

    with FaultProxy("127.0.0.1", moto.port) as proxy:
        proxy.fail_status(2, 503, SLOW_DOWN_XML)             # the next 2 requests get 503 SlowDown
        proxy.drop_mid_body(1, after_bytes=1 << 20,           # the next GET whose body is over 1 MiB
                            match=lambda method, path: method == "GET")
        run_client(endpoint=proxy.endpoint)
        assert proxy.stats["fail_status"] == 2

Each fault applies to the next `count` requests it matches (`match(method, target)`, target being the
request-target as sent, e.g. "/bucket/key?partNumber=2&uploadId=..."); faults of a kind are used in the
order they were planned. Faults can be planned at any time, from any thread; `match` runs under the
proxy's lock, so it should only look at its arguments.

Connections: the proxy keeps a client's connection alive across requests (Connection is hop-by-hop) and
opens a new upstream connection whenever the upstream has closed the previous one (moto closes after each
response). It answers `Expect: 100-continue` itself and strips it upstream.
"""
import http
import socket
import struct
import threading

BUFFER = 1 << 20
SLOW_DOWN_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                 b'<Message>Please reduce your request rate.</Message></Error>')
INTERNAL_ERROR_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
                      b'<Message>We encountered an internal error. Please try again.</Message></Error>')
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"expect"}


class _Closed(Exception):
    """The connection ends here: the peer went away or a fault closed it."""


class _Fault:
    def __init__(self, kind, count, match, **params):
        self.kind, self.count, self.match = kind, count, match
        self.__dict__.update(params)


def _read_head(reader):
    """(start line, [(name, value)]) of the next message, or None at a clean end of stream."""
    line = reader.readline(65537)
    while line in (b"\r\n", b"\n"):  # tolerated between messages
        line = reader.readline(65537)
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise _Closed()
    headers = []
    while True:
        field = reader.readline(65537)
        if not field.endswith(b"\n"):
            raise _Closed()
        if field in (b"\r\n", b"\n"):
            return line.rstrip(b"\r\n"), headers
        name, _, value = field.partition(b":")
        headers.append((name.strip(), value.strip()))


def _header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _head_bytes(start, headers):
    return b"".join([start, b"\r\n"] + [b"%s: %s\r\n" % field for field in headers] + [b"\r\n"])


def _framing(headers):
    """"chunked", a length, or None (no framing: read until the connection closes)."""
    encoding = _header(headers, b"transfer-encoding")
    if encoding is not None and encoding.lower().split(b",")[-1].strip() == b"chunked":
        return "chunked"
    length = _header(headers, b"content-length")
    return int(length) if length is not None else None


def _copy_exact(reader, n, write):
    while n > 0:
        data = reader.read1(min(n, BUFFER))
        if not data:
            raise _Closed()
        write(data)
        n -= len(data)


def _copy_chunked(reader, write):
    while True:
        line = reader.readline(65537)
        if not line.endswith(b"\n"):
            raise _Closed()
        write(line)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            break
        _copy_exact(reader, size + 2, write)
    while True:  # trailers, then the empty line
        line = reader.readline(65537)
        if not line.endswith(b"\n"):
            raise _Closed()
        write(line)
        if line in (b"\r\n", b"\n"):
            return


def _copy_body(reader, framing, write):
    if framing == "chunked":
        _copy_chunked(reader, write)
    elif framing is not None:
        _copy_exact(reader, framing, write)
    else:
        while True:
            data = reader.read1(BUFFER)
            if not data:
                return
            write(data)


class _BodySink:
    """Writes a response body to the client, dropping or stalling at a byte offset if a fault says so."""

    def __init__(self, sock, drop, stall, wait):
        self.sock, self.drop, self.stall, self.wait, self.sent = sock, drop, stall, wait, 0

    def __call__(self, data):
        for fault, action in ((self.drop, self._drop), (self.stall, self._stall)):
            if fault is not None and self.sent <= fault.after_bytes < self.sent + len(data):
                cut = fault.after_bytes - self.sent
                self._send(data[:cut])
                data = data[cut:]
                action()
        self._send(data)

    def _send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def _drop(self):
        raise _Closed()

    def _stall(self):
        self.wait(self.stall.seconds)
        self.stall = None


class FaultProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, int(upstream_port))
        self._lock = threading.Lock()
        self._faults = []
        self._stats = {}
        self._requests = []
        self._sockets = set()
        self._stopping = threading.Event()
        self._listener = None
        self._thread = None
        self.port = None
        self.clear()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    # -- the fault plan --------------------------------------------------------------------------------
    def drop_mid_body(self, count=1, after_bytes=0, match=None, reset=False):
        """The next `count` responses whose body is longer than after_bytes (a chunked or unframed body
        counts as longer; its chunk framing counts as body bytes) get their status line, headers and
        after_bytes of body, then the connection closes: FIN, or RST if reset."""
        self._plan(_Fault("drop_mid_body", count, match, after_bytes=after_bytes, reset=reset))

    def fail_status(self, count=1, status=500, body=b"", headers=None, match=None):
        """The next `count` requests are answered by the proxy itself with `status` and `body` (Content-Type
        application/xml when there is a body, unless headers say otherwise); upstream never sees them. The
        request body is read and discarded and the connection stays open."""
        self._plan(_Fault("fail_status", count, match, status=status, body=body, headers=dict(headers or {})))

    def stall(self, count=1, seconds=5.0, after_bytes=0, match=None):
        """The next `count` requests are forwarded, but the response waits `seconds`: before any of it is
        sent (after_bytes=0) or after its headers and after_bytes of its body."""
        self._plan(_Fault("stall", count, match, seconds=seconds, after_bytes=after_bytes))

    def clear(self):
        """Forgets the faults not yet used, the counters and the request log."""
        with self._lock:
            self._faults = []
            self._stats = dict.fromkeys(("connections", "requests", "upstream_requests",
                                         "fail_status", "drop_mid_body", "stall"), 0)
            self._requests = []

    @property
    def stats(self):
        """A copy of the counters: connections, requests (seen), upstream_requests (forwarded), and one per
        fault kind (faults injected)."""
        with self._lock:
            return dict(self._stats)

    @property
    def requests(self):
        """(method, target) of every request seen, in order."""
        with self._lock:
            return list(self._requests)

    def pending(self, kind=None):
        """How many planned faults (of that kind) are still to happen."""
        with self._lock:
            return sum(f.count for f in self._faults if kind in (None, f.kind))

    def _plan(self, fault):
        with self._lock:
            self._faults.append(fault)

    def _take(self, kind, method, target, body_length=None):
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or fault.count <= 0:
                    continue
                if fault.match is not None and not fault.match(method, target):
                    continue
                if kind == "drop_mid_body" and body_length is not None and body_length <= fault.after_bytes:
                    continue
                fault.count -= 1
                self._stats[kind] += 1
                self._faults = [f for f in self._faults if f.count > 0]
                return fault
        return None

    def _count(self, key, request=None):
        with self._lock:
            self._stats[key] += 1
            if request is not None:
                self._requests.append(request)

    # -- life ------------------------------------------------------------------------------------------
    def start(self):
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._count("connections")
            threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True).start()

    def _track(self, sock, add):
        with self._lock:
            (self._sockets.add if add else self._sockets.discard)(sock)

    # -- one client connection -------------------------------------------------------------------------
    def _serve(self, client):
        self._track(client, True)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = client.makefile("rb", buffering=BUFFER)
        upstream = [None]  # (socket, reader) of the current upstream connection, replaced when it closes
        reset = False
        try:
            while not self._stopping.is_set():
                head = _read_head(reader)
                if head is None:
                    break
                keep_alive, reset = self._exchange(client, reader, head, upstream)
                if not keep_alive:
                    break
        except (_Closed, OSError, ValueError, IndexError):
            pass
        finally:
            self._close(upstream[0])
            self._close((client, reader), reset)

    def _exchange(self, client, reader, head, upstream):
        """Relays one request and its response; returns (keep the client connection, close it by RST)."""
        start, headers = head
        method, target, version = (start.split(b" ", 2) + [b"HTTP/1.0"])[:3]
        method, target = method.decode("latin-1"), target.decode("latin-1")
        self._count("requests", (method, target))
        client_close = (_header(headers, b"connection") or b"").lower() == b"close" or version == b"HTTP/1.0"
        if (_header(headers, b"expect") or b"").lower() == b"100-continue":
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        request_framing = _framing(headers)
        if request_framing is None:
            request_framing = 0  # a request without Content-Length or chunked has no body

        fault = self._take("fail_status", method, target)
        if fault is not None:
            _copy_body(reader, request_framing, lambda data: None)
            client.sendall(self._fault_response(fault, method, client_close))
            return not client_close, False

        stall = self._take("stall", method, target)
        if upstream[0] is None or self._upstream_closed(upstream[0][0]):
            self._close(upstream[0])
            upstream[0] = None
            sock = socket.create_connection(self.upstream)
            self._track(sock, True)
            upstream[0] = (sock, sock.makefile("rb", buffering=BUFFER))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock, upstream_reader = upstream[0]
        forwarded = [(k, v) for k, v in headers if k.lower() != b"expect"]
        sock.sendall(_head_bytes(start, forwarded))
        _copy_body(reader, request_framing, sock.sendall)
        self._count("upstream_requests")

        while True:
            response = _read_head(upstream_reader)
            if response is None:
                raise _Closed()
            status_line, response_headers = response
            status = int(status_line.split(b" ", 2)[1])
            if status >= 200 or status == 101:
                break
            if status != 100:
                client.sendall(_head_bytes(status_line, response_headers))
        upstream_close = (_header(response_headers, b"connection") or b"").lower() == b"close"
        if method == "HEAD" or status in (204, 304):
            framing = 0
        else:
            framing = _framing(response_headers)
        keep_alive = not client_close and framing is not None
        out_headers = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        if not keep_alive:
            out_headers.append((b"Connection", b"close"))

        drop = self._take("drop_mid_body", method, target, framing if isinstance(framing, int) else None)
        if stall is not None and stall.after_bytes == 0:
            self._stopping.wait(stall.seconds)
            stall = None
        client.sendall(_head_bytes(status_line, out_headers))
        sink = _BodySink(client, drop, stall, self._stopping.wait)
        try:
            _copy_body(upstream_reader, framing, sink)
        except _Closed:
            if drop is None:
                raise
        if drop is not None:  # (a body of unknown length that ended before after_bytes drops at its end)
            return False, drop.reset
        if upstream_close or framing is None:
            self._close(upstream[0])
            upstream[0] = None
        return keep_alive, False

    def _fault_response(self, fault, method, close):
        headers = {"Content-Length": str(len(fault.body))}
        if fault.body:
            headers["Content-Type"] = "application/xml"
        headers.update(fault.headers)
        if close:
            headers["Connection"] = "close"
        try:
            reason = http.HTTPStatus(fault.status).phrase
        except ValueError:
            reason = "Fault"
        head = "HTTP/1.1 %d %s\r\n" % (fault.status, reason)
        head += "".join("%s: %s\r\n" % item for item in headers.items()) + "\r\n"
        return head.encode("latin-1") + (b"" if method == "HEAD" else fault.body)

    @staticmethod
    def _upstream_closed(sock):
        try:
            sock.setblocking(False)
            try:
                return sock.recv(1, socket.MSG_PEEK) == b""
            finally:
                sock.setblocking(True)
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _close(self, connection, reset=False):
        """Closes a (socket, reader) pair (None: nothing to do); with reset, by RST rather than FIN."""
        if connection is None:
            return
        sock, reader = connection
        self._track(sock, False)
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        reader.close()  # the descriptor closes (and RST goes out) only once the reader lets go of it
        sock.close()
