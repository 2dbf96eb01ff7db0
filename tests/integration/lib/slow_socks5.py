#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A SOCKS5 server (RFC 1928, no authentication, CONNECT only) that sends
every byte of its handshake replies on its own, DELAY_MS apart, then relays
like any proxy. It proves that a client's SOCKS5 parser takes replies in
pieces however TCP delivers them.

  slow_socks5.py PORT [DELAY_MS [FORGET_MS [HOLD_MS]]]
                                    (default 50 ms, never, 0 ms)

With FORGET_MS, a client whose request comes more than FORGET_MS after
its method reply is dropped without an answer when the request arrives,
as by a proxy that gave up on an idle client just then (mprox's spare
connections must survive this); with HOLD_MS, only after holding it that
long without a word, as a proxy busy elsewhere would.

Listens on every address, IPv4 and IPv6. Prints one line per CONNECT,
"CONNECT HOST PORT REP", and per client dropped so, "FORGOT", to stdout.
"""
import errno
import socket
import socketserver
import struct
import sys
import threading
import time

# Beside this file: its directory is first on sys.path when run as a script.
from netutil import dual_stack_server, recv_exact

DELAY = 0.05
FORGET = None
HOLD = 0.0


def send_slowly(s, data):
    for i in range(len(data)):
        if i:
            time.sleep(DELAY)
        s.sendall(data[i:i + 1])


def rep_of(err):
    return {
        errno.ENETUNREACH: 3,
        errno.ENETDOWN: 3,
        errno.EHOSTUNREACH: 4,
        errno.ECONNREFUSED: 5,
        errno.ETIMEDOUT: 6,
    }.get(err, 1)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.socks(c)
        except (OSError, EOFError):
            pass

    def socks(self, c):
        ver, n = recv_exact(c, 2)
        methods = recv_exact(c, n)
        if ver != 5 or 0 not in methods:
            send_slowly(c, b"\x05\xff")
            return
        send_slowly(c, b"\x05\x00")
        chosen = time.monotonic()
        ver, cmd, _, atyp = recv_exact(c, 4)
        if FORGET is not None and time.monotonic() - chosen > FORGET:
            time.sleep(HOLD)
            print("FORGOT", flush=True)
            return
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(c, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
        elif atyp == 3:
            host = recv_exact(c, recv_exact(c, 1)[0]).decode("ascii", "replace")
        else:
            send_slowly(c, b"\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        port = struct.unpack("!H", recv_exact(c, 2))[0]
        if ver != 5 or cmd != 1:
            send_slowly(c, b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        try:
            up = socket.create_connection((host, port), timeout=10)
            up.settimeout(None)
            rep = 0
        except OSError as e:
            up = None
            rep = rep_of(e.errno)
        print("CONNECT %s %d %d" % (host, port, rep), flush=True)
        bound = b"\x01\x00\x00\x00\x00\x00\x00"
        if up:
            name = up.getsockname()
            if up.family == socket.AF_INET6:
                bound = b"\x04" + socket.inet_pton(socket.AF_INET6, name[0])
            else:
                bound = b"\x01" + socket.inet_pton(socket.AF_INET, name[0])
            bound += struct.pack("!H", name[1])
        send_slowly(c, bytes([5, rep, 0]) + bound)
        if not up:
            return
        t = threading.Thread(target=pump, args=(up, c), daemon=True)
        t.start()
        pump(c, up)
        t.join()
        up.close()


def main():
    global DELAY, FORGET, HOLD
    if len(sys.argv) not in (2, 3, 4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    if len(sys.argv) >= 3:
        DELAY = int(sys.argv[2]) / 1000.0
    if len(sys.argv) >= 4:
        FORGET = int(sys.argv[3]) / 1000.0
    if len(sys.argv) == 5:
        HOLD = int(sys.argv[4]) / 1000.0
    dual_stack_server(int(sys.argv[1]), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
