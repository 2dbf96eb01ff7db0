#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP echo server and checking clients for the UDP cases (run in the guest).

  server ADDRS PORTS
      echo every datagram back from the socket it came in on (so from the
      address and port it was sent to): one socket per address of ADDRS
      and port of PORTS, both comma-separated ("10.200.2.2,fd00:200:2::2"
      "7001,7002"); run with topo_spawn and wait until ss -Hlun shows
      the ports

  client [--sockets N] [--count M] [--max-size B] [--window W]
         [--timeout S] [--retries R] [--socks5 HOST:PORT] DEST [DEST...]
      N sockets (one thread each) send M datagrams in all (spread evenly
      over the sockets), sizes spread over 1..B bytes (1 and B included),
      datagram i of a socket to DEST[i % len(DEST)], at most W of them
      unanswered at a time; each carries a header (socket id, seq,
      destination index) and then a pattern that depends on all three,
      cut to its size (so a datagram shorter than the header is a prefix
      of one). Every echo is compared byte for byte with what was sent
      and must come from the address and port it was sent to (a
      misdelivery otherwise, or if it belongs to another socket); one
      not echoed within S seconds is sent again, R times at most. With
      --socks5 the client speaks SOCKS5 UDP ASSOCIATE itself (one
      association per socket, no authentication): the native check of a
      proxy. Prints one line:
        sent N echoed N resent N duplicate N corrupted N misdelivered N
        lost N
      (sent counts datagrams, not resends; duplicate: an echo of one
      already echoed, after a resend) and exits 1 on any corruption,
      misdelivery or loss, with the first problems on stderr. DEST is
      HOST:PORT, an IPv6 HOST in brackets.

  hold DEST FILE [--then quit|send] [--timeout S]
      a connect()ed socket sends one datagram and waits for its echo,
      prints "ready" (or "failed: ..." and exits 1), then waits until
      FILE exists (10 minutes at most); with --then send (the default)
      sends again and prints "after: echo", "after: ERRNONAME" or
      "after: timeout"

  refused DEST [--timeout S]
      a connect()ed socket sends one datagram and waits S seconds (5) for
      the answer: prints "ERRNONAME MS" (what recv() failed with, MS
      milliseconds after the send), "echo MS" or "timeout MS"

  segments DEST [--size S] [--count N] [--rounds R] [--timeout T]
      a connect()ed socket with UDP_SEGMENT S (UDP GSO, as QUIC stacks
      send) sends R buffers of N * S bytes, one send() each, so each must
      reach DEST as N datagrams of S bytes; waits T seconds for the
      echoes after each and prints one line per round:
        round R: echoed K of N datagrams, sizes SIZES
      then exits 1 unless every echo was one whole segment, each once

  grow DEST SIZE [--timeout S] [--tries N]
      a connect()ed socket sends "grow SIZE", to which the server answers
      with SIZE bytes of the pattern (1..60000): a small question with a
      large answer, as DNS with EDNS has; sent again after S seconds (3),
      N times (3) in all. Prints "answered SIZE bytes, intact", "answered
      K bytes, not the pattern" or "no answer", and exits 1 unless intact

  associate-rep PROXY PORT
      one SOCKS5 UDP ASSOCIATE straight to a proxy (no authentication,
      DST.ADDR 0.0.0.0:0): prints the reply's REP code, or "closed" if
      the proxy closes without a reply
"""

import argparse
import errno
import os
import random
import select
import socket
import struct
import sys
import threading
import time

MAGIC = 0xA5
HDR = struct.Struct(">BHIB")  # magic, socket id, seq, destination index
PATTERN_SEED = 1928
PATTERN = random.Random(PATTERN_SEED).randbytes(1 << 16)
BUF = 1 << 22
# A client's datagram starts with MAGIC: one that starts with this asks for
# an answer of its size instead of an echo.
GROW = b"grow "
GROW_MAX = 60000


def big_buffers(s):
    for opt in ("SO_RCVBUFFORCE", "SO_SNDBUFFORCE"):
        try:
            s.setsockopt(socket.SOL_SOCKET, getattr(socket, opt), BUF)
        except (OSError, AttributeError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF if "RCV" in opt
                         else socket.SO_SNDBUF, BUF)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def parse_dest(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise SystemExit("bad destination %r: HOST:PORT, [IPV6]:PORT" % text)
    return (host, int(port))


def norm(addr):
    """An address as (host, port), IPv4-mapped IPv6 written as IPv4."""
    host, port = addr[0], addr[1]
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    return (socket.inet_ntop(family_of(host), socket.inet_pton(family_of(host), host)), port)


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else repr(e)


# ---- the server ------------------------------------------------------------

def server(addrs, ports):
    socks = []
    for a in addrs.split(","):
        for p in ports.split(","):
            s = socket.socket(family_of(a), socket.SOCK_DGRAM)
            big_buffers(s)
            s.bind((a, int(p)))
            s.setblocking(False)
            socks.append(s)
    print("echoing on", " ".join("%s:%s" % s.getsockname()[:2] for s in socks), flush=True)
    poller = select.epoll()
    by_fd = {s.fileno(): s for s in socks}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    while True:
        for fd, _ in poller.poll():
            s = by_fd[fd]
            while True:
                try:
                    data, peer = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if data.startswith(GROW):
                    try:
                        n = int(data[len(GROW):])
                    except ValueError:
                        n = 0
                    data = PATTERN[:n] if 0 < n <= GROW_MAX else b"bad grow"
                try:
                    s.sendto(data, peer)
                except OSError as e:
                    print("sendto %s: %s" % (peer, e), flush=True)


# ---- SOCKS5 UDP ASSOCIATE, natively ---------------------------------------

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise ConnectionError("closed")
        b += c
    return b


def read_addr(s):
    """ATYP ADDR PORT of a SOCKS5 reply from the stream s."""
    atyp = recv_exact(s, 1)[0]
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, recv_exact(s, 4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(s, 16))
    elif atyp == 3:
        host = recv_exact(s, recv_exact(s, 1)[0]).decode()
    else:
        raise ConnectionError("ATYP %d" % atyp)
    return host, struct.unpack(">H", recv_exact(s, 2))[0]


def associate(proxy, timeout=30):
    """Open a UDP ASSOCIATE: (control stream, REP, relay address)."""
    c = socket.create_connection(proxy, timeout=timeout)
    c.sendall(b"\x05\x01\x00")
    if recv_exact(c, 2) != b"\x05\x00":
        raise ConnectionError("the proxy wants authentication")
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    try:
        ver, rep, _ = recv_exact(c, 3)
    except ConnectionError:
        return c, "closed", None
    relay = read_addr(c)
    if ver != 5:
        raise ConnectionError("version %d in the reply" % ver)
    if relay[0] in ("0.0.0.0", "::"):
        relay = (proxy[0], relay[1])
    return c, rep, relay


def socks_header(dest):
    fam = family_of(dest[0])
    return (b"\x00\x00\x00" + (b"\x01" if fam == socket.AF_INET else b"\x04") +
            socket.inet_pton(fam, dest[0]) + struct.pack(">H", dest[1]))


def socks_unwrap(data):
    """(payload, source) of a datagram from the relay, or None."""
    if len(data) < 10 or data[:3] != b"\x00\x00\x00":
        return None
    if data[3] == 1:
        return data[10:], (socket.inet_ntop(socket.AF_INET, data[4:8]),
                           struct.unpack(">H", data[8:10])[0])
    if data[3] == 4 and len(data) >= 22:
        return data[22:], (socket.inet_ntop(socket.AF_INET6, data[4:20]),
                           struct.unpack(">H", data[20:22])[0])
    return None


def associate_rep(proxy, port):
    try:
        c, rep, _ = associate((proxy, int(port)), timeout=10)
    except OSError as e:
        print("error", errname(e))
        return 1
    c.close()
    print(rep)
    return 0


# ---- the checking client ----------------------------------------------------

def expected(sid, seq, didx, size):
    full = HDR.pack(MAGIC, sid, seq, didx)
    off = (sid * 131 + seq * 977 + didx * 7) % (len(PATTERN) - 9000)
    full += PATTERN[off:off + max(0, size - HDR.size)]
    return full[:size]


def sizes_for(sid, n, max_size):
    rng = random.Random(sid * 1000003 + 7)
    out = [rng.randint(1, max_size) for _ in range(n)]
    # The edges in every socket's run: 1 byte, a header cut short, the
    # header alone, the largest.
    for i, v in enumerate((1, HDR.size - 1, HDR.size, max_size)):
        if i < n:
            out[i] = min(v, max_size)
    return out


class Totals:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = dict(sent=0, echoed=0, resent=0, duplicate=0, corrupted=0,
                      misdelivered=0, lost=0)
        self.problems = []

    def add(self, counts, problems):
        with self.lock:
            for k, v in counts.items():
                self.n[k] += v
            self.problems.extend(problems[:5])


def run_socket(sid, count, dests, args, totals):
    counts = dict(sent=0, echoed=0, resent=0, duplicate=0, corrupted=0,
                  misdelivered=0, lost=0)
    problems = []
    control = None
    fam = family_of(dests[0][0])
    try:
        if args.socks5:
            control, rep, relay = associate(args.socks5)
            if rep != 0:
                raise ConnectionError("UDP ASSOCIATE: REP %s" % rep)
            fam = family_of(relay[0])
        s = socket.socket(fam, socket.SOCK_DGRAM)
        big_buffers(s)
    except OSError as e:
        counts["lost"] = count
        totals.add(counts, ["socket %d: %s" % (sid, e)])
        return
    sizes = sizes_for(sid, count, args.max_size)
    # seq -> [sent at, tries]; done: seqs echoed.
    waiting, done = {}, set()
    nxt = 0

    def send(seq):
        didx = seq % len(dests)
        data = expected(sid, seq, didx, sizes[seq])
        if args.socks5:
            s.sendto(socks_header(dests[didx]) + data, relay)
        else:
            s.sendto(data, dests[didx])

    def match(data, src):
        """The seq an echo answers, or None (corruption noted)."""
        if len(data) >= HDR.size:
            magic, xsid, seq, didx = HDR.unpack_from(data)
            if magic != MAGIC:
                problems.append("socket %d: junk of %d bytes from %s" % (sid, len(data), src))
                counts["corrupted"] += 1
                return None
            if xsid != sid or seq >= count or didx != seq % len(dests):
                problems.append("socket %d: an echo for socket %d seq %d dest %d from %s"
                                % (sid, xsid, seq, didx, src))
                counts["misdelivered"] += 1
                return None
            if data != expected(sid, seq, didx, sizes[seq]):
                problems.append("socket %d seq %d: %d bytes differ from the %d sent"
                                % (sid, seq, len(data), sizes[seq]))
                counts["corrupted"] += 1
                return None
            cands = [seq]
        else:
            # A datagram shorter than the header is a prefix of one: it
            # answers one sent with that size and those bytes.
            cands = [q for q in list(waiting) + sorted(done)
                     if sizes[q] == len(data) and
                     data == expected(sid, q, q % len(dests), sizes[q])]
            if not cands:
                problems.append("socket %d: %d bytes %s from %s match nothing sent"
                                % (sid, len(data), data.hex(), src))
                counts["corrupted"] += 1
                return None
        for seq in cands:
            if norm(src) == norm(dests[seq % len(dests)]):
                return seq
        problems.append("socket %d seq %d: echoed from %s, sent to %s"
                        % (sid, cands[0], src, dests[cands[0] % len(dests)]))
        counts["misdelivered"] += 1
        return None

    while nxt < count or waiting:
        now = time.monotonic()
        while nxt < count and len(waiting) < args.window:
            send(nxt)
            counts["sent"] += 1
            waiting[nxt] = [now, 1]
            nxt += 1
        for seq, w in list(waiting.items()):
            if now - w[0] < args.timeout:
                continue
            if w[1] > args.retries:
                counts["lost"] += 1
                problems.append("socket %d seq %d (%d bytes to %s): never echoed"
                                % (sid, seq, sizes[seq], dests[seq % len(dests)]))
                del waiting[seq]
                continue
            send(seq)
            counts["resent"] += 1
            w[0], w[1] = now, w[1] + 1
        if not waiting:
            continue
        first = min(w[0] for w in waiting.values())
        r, _, _ = select.select([s], [], [], max(0.01, first + args.timeout - now))
        if not r:
            continue
        try:
            data, src = s.recvfrom(65536)
        except OSError as e:
            problems.append("socket %d: recvfrom: %s" % (sid, errname(e)))
            counts["lost"] += len(waiting) + count - nxt
            break
        if args.socks5:
            if norm(src) != norm(relay):
                problems.append("socket %d: a datagram from %s, not the relay" % (sid, src))
                counts["misdelivered"] += 1
                continue
            un = socks_unwrap(data)
            if un is None:
                problems.append("socket %d: a bad SOCKS5 UDP header %s" % (sid, data[:24].hex()))
                counts["corrupted"] += 1
                continue
            data, src = un
        seq = match(data, src)
        if seq is None:
            continue
        if seq in waiting:
            del waiting[seq]
            done.add(seq)
            counts["echoed"] += 1
        else:
            counts["duplicate"] += 1
    s.close()
    if control:
        control.close()
    totals.add(counts, problems)


def client(args):
    dests = [parse_dest(d) for d in args.dest]
    if len({family_of(h) for h, _ in dests}) != 1:
        raise SystemExit("all destinations of one family")
    if args.socks5:
        args.socks5 = parse_dest(args.socks5)
    totals = Totals()
    per = [args.count // args.sockets + (i < args.count % args.sockets)
           for i in range(args.sockets)]
    threads = [threading.Thread(target=run_socket, args=(i, per[i], dests, args, totals))
               for i in range(args.sockets)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = totals.n
    print("sent %d echoed %d resent %d duplicate %d corrupted %d misdelivered %d lost %d"
          " (%d sockets, %d destinations, %.1f s)"
          % (n["sent"], n["echoed"], n["resent"], n["duplicate"], n["corrupted"],
             n["misdelivered"], n["lost"], args.sockets, len(dests), time.monotonic() - t0))
    for p in totals.problems[:20]:
        print(p, file=sys.stderr)
    bad = n["corrupted"] or n["misdelivered"] or n["lost"] or n["echoed"] != args.count
    return 1 if bad else 0


# ---- one connect()ed socket -------------------------------------------------

def connected(dest):
    s = socket.socket(family_of(dest[0]), socket.SOCK_DGRAM)
    s.connect(dest)
    return s


def hold(args):
    dest = parse_dest(args.dest)
    s = connected(dest)
    s.settimeout(args.timeout)
    try:
        s.send(b"hold 1")
        if s.recv(100) != b"hold 1":
            print("failed: a wrong echo", flush=True)
            return 1
    except OSError as e:
        print("failed:", errname(e), flush=True)
        return 1
    print("ready", flush=True)
    end = time.monotonic() + 600
    while not os.path.exists(args.file) and time.monotonic() < end:
        time.sleep(0.1)
    if args.then == "quit":
        return 0
    try:
        s.send(b"hold 2")
        print("after:", "echo" if s.recv(100) == b"hold 2" else "a wrong echo", flush=True)
    except socket.timeout:
        print("after: timeout", flush=True)
    except OSError as e:
        print("after:", errname(e), flush=True)
    return 0


def refused(args):
    dest = parse_dest(args.dest)
    s = connected(dest)
    s.settimeout(args.timeout)
    t0 = time.monotonic()
    try:
        s.send(b"refuse me")
        s.recv(100)
        what = "echo"
    except socket.timeout:
        what = "timeout"
    except OSError as e:
        what = errname(e)
    print(what, int((time.monotonic() - t0) * 1000))
    return 0


UDP_SEGMENT = 103  # linux/udp.h; Python's socket module may not name it


def segments(args):
    dest = parse_dest(args.dest)
    s = connected(dest)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, args.size)
    s.settimeout(args.timeout)
    ok = True
    for r in range(args.rounds):
        segs = [bytes([r, i]) + PATTERN[i:i + args.size - 2] for i in range(args.count)]
        s.send(b"".join(segs))
        got = []
        try:
            while len(got) < args.count:
                got.append(s.recv(65536))
        except socket.timeout:
            pass
        sizes = ",".join(str(len(g)) for g in got) or "none"
        print("round %d: echoed %d of %d datagrams, sizes %s" % (r, len(got), args.count, sizes),
              flush=True)
        ok = ok and sorted(got) == sorted(segs)
    return 0 if ok else 1


def grow(args):
    s = connected(parse_dest(args.dest))
    s.settimeout(args.timeout)
    want = PATTERN[:args.size]
    for _ in range(args.tries):
        s.send(GROW + str(args.size).encode())
        try:
            got = s.recv(65536)
        except socket.timeout:
            continue
        if got == want:
            print("answered %d bytes, intact" % len(got), flush=True)
            return 0
        print("answered %d bytes, not the pattern" % len(got), flush=True)
        return 1
    print("no answer", flush=True)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("server")
    p.add_argument("addrs")
    p.add_argument("ports")
    p = sub.add_parser("client")
    p.add_argument("--sockets", type=int, default=1)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--max-size", type=int, default=8000)
    p.add_argument("--window", type=int, default=4)
    p.add_argument("--timeout", type=float, default=3)
    p.add_argument("--retries", type=int, default=5)
    p.add_argument("--socks5")
    p.add_argument("dest", nargs="+")
    p = sub.add_parser("hold")
    p.add_argument("dest")
    p.add_argument("file")
    p.add_argument("--then", choices=("quit", "send"), default="send")
    p.add_argument("--timeout", type=float, default=10)
    p = sub.add_parser("refused")
    p.add_argument("dest")
    p.add_argument("--timeout", type=float, default=5)
    p = sub.add_parser("segments")
    p.add_argument("dest")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--timeout", type=float, default=5)
    p = sub.add_parser("grow")
    p.add_argument("dest")
    p.add_argument("size", type=int)
    p.add_argument("--timeout", type=float, default=3)
    p.add_argument("--tries", type=int, default=3)
    p = sub.add_parser("associate-rep")
    p.add_argument("proxy")
    p.add_argument("port")
    args = ap.parse_args()
    if args.cmd == "server":
        return server(args.addrs, args.ports)
    if args.cmd == "client":
        if args.max_size < 1 or args.max_size > 9000 or args.sockets < 1 or args.count < args.sockets:
            raise SystemExit("--max-size 1..9000, --sockets >= 1, --count >= --sockets")
        return client(args)
    if args.cmd == "hold":
        return hold(args)
    if args.cmd == "refused":
        return refused(args)
    if args.cmd == "segments":
        return segments(args)
    if args.cmd == "grow":
        if not 0 < args.size <= GROW_MAX:
            raise SystemExit("SIZE 1..%d" % GROW_MAX)
        return grow(args)
    return associate_rep(args.proxy, args.port)


if __name__ == "__main__":
    sys.exit(main())
