"""Holds COUNT connections open to HOST:PORT the way a stalling client does, until SIGTERM.

Half connect and send nothing (idle keep-alive connections); half send the start of a request
header and then one byte every 2 s, never finishing it. A connection the server closes is opened
again at once, so COUNT stay open. Every second the counts go to STATUS_FILE as
"open=N reconnects=N refused=N".
    python3 bench/stall_clients.py HOST PORT COUNT STATUS_FILE
"""
import errno
import os
import resource
import selectors
import signal
import socket
import sys
import time

host, port, count, status_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 64)), hard))

selector = selectors.DefaultSelector()
sockets = {}  # socket -> "idle" | "slow"
reconnects = refused = 0
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def open_one(kind):
    global refused
    sock = socket.socket()
    try:
        sock.connect((host, port))
    except OSError:
        refused += 1
        sock.close()
        return False
    sock.setblocking(False)
    if kind == "slow":
        sock.send(b"POST / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nX-Slow: ")
    selector.register(sock, selectors.EVENT_READ)
    sockets[sock] = kind
    return True


def close_one(sock):
    selector.unregister(sock)
    sock.close()
    return sockets.pop(sock)


for i in range(count):
    open_one("idle" if i % 2 == 0 else "slow")

last_drip = last_status = 0.0
while running:
    for key, _ in selector.select(timeout=0.2):
        try:
            data = key.fileobj.recv(4096)
        except OSError as error:
            data = b"" if error.errno != errno.EAGAIN else None
        if data == b"":  # the server closed it: open another in its place
            kind = close_one(key.fileobj)
            reconnects += 1
            open_one(kind)
    now = time.monotonic()
    if now - last_drip >= 2:
        last_drip = now
        for sock, kind in list(sockets.items()):
            if kind == "slow":
                try:
                    sock.send(b"x")
                except OSError:
                    pass
    while len(sockets) < count and open_one("idle" if len(sockets) % 2 == 0 else "slow"):
        pass
    if now - last_status >= 1:
        last_status = now
        with open(status_file + ".tmp", "w") as f:
            f.write("open=%d reconnects=%d refused=%d\n" % (len(sockets), reconnects, refused))
        os.replace(status_file + ".tmp", status_file)
for sock in list(sockets):
    close_one(sock)
