#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A SOCKS5 UDP relay that misbehaves, and the clients that check what an
application behind mprox gets from it (udp-hostile.sh; run in the guest).

  server PORT [--addr ADDR] [--third-party ADDR] [--bnd BND] [--udp-port U]
      a SOCKS5 server without authentication on TCP ADDR:PORT (ADDR
      10.200.1.1). For UDP ASSOCIATE (CMD 3) it opens a UDP socket on
      ADDR (port U, else ephemeral), answers 05 00 00 01 ADDR PORT (with
      --bnd, BND instead of ADDR: ATYP 1 or 4 as BND is written, so a
      relay that names an address the client must not take) and keeps the
      control connection open until the client closes it; any other
      command gets REP 7 and a close. Every datagram the client sends to
      that socket must carry a SOCKS5 UDP header (RSV 0, FRAG 0, ATYP 1,
      3 or 4); its payload's first word is a KIND (below) saying what the
      relay answers, the rest a tag. One line on stdout per datagram:
        assoc N to HOST:PORT kind KIND sent K
      (HOST:PORT what the header named, K the datagrams the relay sends
      from its socket for it, the trailing marker included), written
      before they are sent; "assoc N closed the control connection" for
      "close", "assoc N control connection closed by the client" when the
      client goes away, "assoc N thirdparty: ... refused R/M" for
      thirdparty.

  associate PROXY PORT
      natively: UDP ASSOCIATE and print "REP R BND HOST:PORT"

  trap PORT...
      UDP sockets on 127.0.0.1 and ::1 at each PORT, where a client that
      took a loopback BND would send; one line on stdout per datagram:
        trap got N bytes on HOST:PORT from HOST:PORT

  native [--timeout S] PROXY PORT DEST
      natively, as a SOCKS5 client of the relay: every KIND (and burst,
      a short random run, close) once, each answer compared byte for byte
      with what the model below says the relay sends, and each datagram
      of it classified (classify(): what mprox must do with it) as the
      KIND intends. One line a KIND; exit 1 on any difference.

  app [--port P] [--timeout S] [--new-association]
      [--mprox-config PATH [--dev DEV]] DEST KIND [KIND...]
      the application behind mprox: a UDP socket bound to 0.0.0.0:P
      (20001; the same port every run, so one association serves every
      run) sends "KIND TAG" to DEST for each KIND in turn and receives
      until the trailing marker (or the echo, for valid); every datagram
      must come from DEST and be, in order, what classify() says mprox
      delivers. Two TAP-like lines a KIND, "ok TEXT" or "not ok TEXT":
      what the app received, and how DEV's stats.udp moved (PATH
      DEV --status, read before the send and after the marker; bytes_*
      left out) against what the model says it must (associations+1 for
      the first KIND with --new-association); without --mprox-config the
      second line is "ok KIND: expect: ...". Exit 1 on any "not ok".
      For close it sends and goes on at once (nothing comes back).

  random [--port P] [--timeout S] [--seed N] [--chunk C] DEST COUNT
      the same socket asks for COUNT random datagrams, C (50) at a time
      ("random SEED START N": the relay sends mutations of a correct
      header and payload, each rebuilt here from SEED and its index,
      then a marker), waiting for each marker before the next request
      (so the relay never floods mprox's socket). Every datagram the app
      receives must be one of those classify() delivers, with the
      payload it delivers; every one of those must come. Prints a
      summary, "expect: ..." as app, and "total: T" (the datagrams the
      relay sent, markers included); exit 1 on a difference.

KINDS (the relay's answer, then a correct marker "marker " + the payload,
except for valid and close):
  valid       a correct reply: the header naming the destination the
              request named, the same payload (an echo; no marker)
  nopayload   a correct header and no payload (mprox delivers 0 bytes)
  frag        FRAG 1            frag255    FRAG 255
  rsv         RSV 0x0100        rsvlow     RSV 0x0001
  short       the first 5 bytes of a correct header
  porttrunc   a correct IPv4 header without its port's last byte
  empty       a datagram of 0 bytes
  atyp        ATYP 9            noname     ATYP 3, name length 0
  nametrunc   ATYP 3, name length 64, 11 bytes of it
  v6trunc     ATYP 4, 10 bytes of address
  name        ATYP 3 "example.com", the right port
  otherport   the right address, port + 1
  otheraddr   10.200.2.99, the right port
  family      ATYP 4 fd00:200:2::2 (the server's IPv6 address)
  mapped      ATYP 4 ::ffff:10.200.2.2
  thirdparty  a correct reply from three other sockets (ADDR another
              port, the --third-party address with the relay's port and
              another one), each connected to the client; the relay then
              waits (2 s at most) for their ICMP port unreachable, which
              says the client's host had them and no socket took them
  ctrljunk    32 KiB of junk on the control connection
  burst       a correct reply ("first " + payload), each single bad kind
              above (nopayload included, delivered), then the marker
  random SEED START N   the random datagrams START..START+N-1
  close       close the control connection (and the UDP socket)
"""

import argparse
import collections
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udp_echo import family_of, parse_dest, read_addr, recv_exact  # noqa: E402

MALFORMED, FRAGMENT, FOREIGN, DELIVER = "malformed", "fragment", "foreign", "deliver"
COUNTER = {MALFORMED: "dropped_malformed", FRAGMENT: "dropped_fragment",
           FOREIGN: "dropped_foreign", DELIVER: "datagrams_down"}
SERVER_V4, SERVER_V6 = "10.200.2.2", "fd00:200:2::2"
BUF = 1 << 22


def norm(addr):
    host = addr[0]
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    fam = family_of(host)
    return (socket.inet_ntop(fam, socket.inet_pton(fam, host)), addr[1])


def big_buffers(s):
    for opt, plain in (("SO_RCVBUFFORCE", socket.SO_RCVBUF),
                       ("SO_SNDBUFFORCE", socket.SO_SNDBUF)):
        try:
            s.setsockopt(socket.SOL_SOCKET, getattr(socket, opt), BUF)
        except (OSError, AttributeError):
            s.setsockopt(socket.SOL_SOCKET, plain, BUF)


# ---- the wire ---------------------------------------------------------------

def addr_part(dest):
    """ATYP ADDR PORT for (host, port)."""
    fam = family_of(dest[0])
    return (bytes([1 if fam == socket.AF_INET else 4]) +
            socket.inet_pton(fam, dest[0]) + struct.pack(">H", dest[1]))


def udp_header(dest):
    return b"\x00\x00\x00" + addr_part(dest)


def parse_header(d):
    """(dest, payload) of a well-formed SOCKS5 UDP header naming an
    address (no name), or None."""
    if len(d) < 4 or d[:3] != b"\x00\x00\x00":
        return None
    if d[3] == 1 and len(d) >= 10:
        return (socket.inet_ntop(socket.AF_INET, d[4:8]),
                struct.unpack(">H", d[8:10])[0]), d[10:]
    if d[3] == 4 and len(d) >= 22:
        return (socket.inet_ntop(socket.AF_INET6, d[4:20]),
                struct.unpack(">H", d[20:22])[0]), d[22:]
    return None


def classify(d, family, known):
    """What mprox does with datagram d from the relay for an application
    socket of family that sent lately to the (host, port) in known:
    (MALFORMED|FRAGMENT|FOREIGN, None) or (DELIVER, payload). The fields in
    wire order, the first one wrong or missing deciding (socks5_udp.h):
    RSV (2 bytes, 0), FRAG (0), ATYP (1, 3 with a name of 1..255 bytes,
    4), the address and port; then a name, the other family, or an
    address and port not in known is foreign."""
    n = len(d)
    for i in (0, 1):
        if n <= i or d[i]:
            return MALFORMED, None
    if n <= 2:
        return MALFORMED, None
    if d[2]:
        return FRAGMENT, None
    if n <= 3:
        return MALFORMED, None
    atyp = d[3]
    if atyp == 1:
        start, alen = 4, 4
    elif atyp == 4:
        start, alen = 4, 16
    elif atyp == 3:
        if n < 5 or d[4] == 0:
            return MALFORMED, None
        start, alen = 5, d[4]
    else:
        return MALFORMED, None
    end = start + alen + 2
    if n < end:
        return MALFORMED, None
    if atyp == 3 or (atyp == 4) != (family == socket.AF_INET6):
        return FOREIGN, None
    fam = socket.AF_INET6 if atyp == 4 else socket.AF_INET
    src = (socket.inet_ntop(fam, d[start:start + alen]),
           struct.unpack(">H", d[start + alen:end])[0])
    if norm(src) not in {norm(k) for k in known}:
        return FOREIGN, None
    return DELIVER, d[end:]


# ---- what the relay answers (the model both sides share) --------------------

def other_family_addr(dest):
    return SERVER_V6 if family_of(dest[0]) == socket.AF_INET else SERVER_V4


def mapped_part(dest):
    """The destination in the other family: ::ffff:a.b.c.d for IPv4, the
    last 4 bytes as IPv4 for IPv6."""
    raw = socket.inet_pton(family_of(dest[0]), dest[0])
    port = struct.pack(">H", dest[1])
    if len(raw) == 4:
        return b"\x04" + b"\x00" * 10 + b"\xff\xff" + raw + port
    return b"\x01" + raw[12:] + port


def bad_datagram(kind, dest, payload):
    """The one datagram a single bad KIND sends before its marker."""
    hdr = udp_header(dest)
    part = addr_part(dest)
    port = struct.pack(">H", dest[1])
    return {
        "nopayload": lambda: hdr,
        "frag": lambda: b"\x00\x00\x01" + part + payload,
        "frag255": lambda: b"\x00\x00\xff" + part + payload,
        "rsv": lambda: b"\x01\x00\x00" + part + payload,
        "rsvlow": lambda: b"\x00\x01\x00" + part + payload,
        "short": lambda: hdr[:5],
        "porttrunc": lambda: hdr[:-1],
        "empty": lambda: b"",
        "atyp": lambda: b"\x00\x00\x00\x09" + part[1:] + payload,
        "noname": lambda: b"\x00\x00\x00\x03\x00" + port + payload,
        "nametrunc": lambda: b"\x00\x00\x00\x03\x40example.com",
        "v6trunc": lambda: b"\x00\x00\x00\x04" + bytes(range(1, 11)),
        "name": lambda: b"\x00\x00\x00\x03\x0bexample.com" + port + payload,
        "otherport": lambda: b"\x00\x00\x00" + addr_part((dest[0], (dest[1] + 1) & 0xFFFF)) + payload,
        "otheraddr": lambda: (b"\x00\x00\x00" +
                              addr_part(("10.200.2.99" if family_of(dest[0]) == socket.AF_INET
                                         else "fd00:200:2::99", dest[1])) + payload),
        "family": lambda: b"\x00\x00\x00" + addr_part((other_family_addr(dest), dest[1])) + payload,
        "mapped": lambda: b"\x00\x00\x00" + mapped_part(dest) + payload,
    }[kind]()


# The class each single kind's datagram must have (checked against
# classify(), so a slip in the model shows).
SINGLE = collections.OrderedDict([
    ("nopayload", DELIVER),
    ("frag", FRAGMENT), ("frag255", FRAGMENT),
    ("rsv", MALFORMED), ("rsvlow", MALFORMED), ("short", MALFORMED),
    ("porttrunc", MALFORMED), ("empty", MALFORMED), ("atyp", MALFORMED),
    ("noname", MALFORMED), ("nametrunc", MALFORMED), ("v6trunc", MALFORMED),
    ("name", FOREIGN), ("otherport", FOREIGN), ("otheraddr", FOREIGN),
    ("family", FOREIGN), ("mapped", FOREIGN),
])
SPECIAL = ("valid", "thirdparty", "ctrljunk", "burst")
KINDS = ("valid",) + tuple(SINGLE) + SPECIAL[1:]


def random_datagram(seed, idx, dest):
    """Datagram idx of a random run: a correct header and a payload naming
    (seed, idx), mutated 0 to 3 times."""
    rng = random.Random("%d:%d" % (seed, idx))
    hdr = udp_header(dest)
    payload = b"R%d.%d." % (seed, idx) + rng.randbytes(rng.randint(0, 48))
    d = bytearray(hdr + payload)
    if rng.random() < 0.12:
        return bytes(d)
    port = struct.pack(">H", dest[1])
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        op = rng.randrange(11)
        if op == 0 and d:               # a header byte flipped
            i = rng.randrange(min(len(d), len(hdr)))
            d[i] ^= rng.randint(1, 255)
        elif op == 1 and d:             # any byte flipped
            d[rng.randrange(len(d))] ^= rng.randint(1, 255)
        elif op == 2:                   # RSV, FRAG or ATYP set
            i = rng.randrange(4)
            if i < len(d):
                d[i] = rng.choice((0, 0, 1, 2, 3, 4, 5, 9, 0x80, 0xFF))
        elif op == 3:                   # cut anywhere
            del d[rng.randint(0, len(d)):]
        elif op == 4:                   # cut in the header
            del d[rng.randint(0, len(hdr)):]
        elif op == 5:                   # garbage appended
            d += rng.randbytes(rng.randint(1, 40))
        elif op == 6:                   # a name, its length right or not
            name = rng.randbytes(rng.randint(0, 30))
            ln = rng.choice((len(name), len(name), 0, rng.randint(0, 255)))
            d = bytearray(b"\x00\x00\x00\x03" + bytes([ln]) + name + port + payload)
        elif op == 7:                   # IPv6 addresses, maybe cut short
            a6 = rng.choice((socket.inet_pton(socket.AF_INET6, SERVER_V6),
                             b"\x00" * 10 + b"\xff\xff" + socket.inet_pton(socket.AF_INET, dest[0])
                             if family_of(dest[0]) == socket.AF_INET else rng.randbytes(16),
                             rng.randbytes(16)))
            d = bytearray(b"\x00\x00\x00\x04" + a6 + port + payload)
            if rng.random() < 0.3:
                del d[rng.randint(0, 22):]
        elif op == 8 and len(d) >= len(hdr):   # the port or an address byte
            if rng.random() < 0.5:
                p = rng.choice((dest[1] + 1, dest[1] - 1, rng.randrange(65536))) & 0xFFFF
                d[len(hdr) - 2:len(hdr)] = struct.pack(">H", p)
            else:
                d[4 + rng.randrange(len(hdr) - 6)] ^= rng.randint(1, 255)
        elif op == 9:                   # all garbage, maybe after 00 00 00
            junk = rng.randbytes(rng.randint(0, 30))
            d = bytearray((b"\x00\x00\x00" if rng.random() < 0.5 else b"") + junk)
        elif op == 10 and len(d) > 2:   # FRAG
            d[2] = rng.randint(1, 255)
    return bytes(d)


def answer(kind, dest, payload, args=None):
    """The datagrams the relay sends from its socket for payload (whose
    first word is kind) from a client that named dest, the marker
    included."""
    hdr = udp_header(dest)
    marker = hdr + b"marker " + payload
    if kind == "valid":
        return [hdr + payload]
    if kind in SINGLE:
        return [bad_datagram(kind, dest, payload), marker]
    if kind in ("thirdparty", "ctrljunk"):
        return [marker]
    if kind == "burst":
        return ([hdr + b"first " + payload] +
                [bad_datagram(k, dest, payload) for k in SINGLE] + [marker])
    if kind == "random":
        seed, start, n = args
        return [random_datagram(seed, start + i, dest) for i in range(n)] + [marker]
    return []


def random_args(payload):
    words = payload.split()
    if len(words) != 4:
        raise ValueError("random SEED START N")
    seed, start, n = (int(w) for w in words[1:])
    if n < 0 or n > 10000:
        raise ValueError("N 0..10000")
    return seed, start, n


# ---- the relay ----------------------------------------------------------------

log_lock = threading.Lock()


def log(text):
    with log_lock:
        print(text, flush=True)


def third_party(n, u, peer, args, dest, payload):
    """Correct replies to peer from sockets other than u, each connected to
    peer; log how many the peer's host refused (ICMP port unreachable)."""
    relay_addr, relay_port = u.getsockname()[:2]
    froms = [(relay_addr, 0)]
    if args.third_party:
        froms += [(args.third_party, relay_port), (args.third_party, 0)]
    socks, names = [], []
    for f in froms:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(f)
            s.connect(peer)
            s.send(udp_header(dest) + b"thirdparty from %s:%d " % (
                f[0].encode(), s.getsockname()[1]) + payload)
        except OSError as e:
            log("assoc %d thirdparty: from %s:%d: %s" % (n, f[0], f[1], e))
            s.close()
            continue
        socks.append(s)
        names.append("%s:%d" % s.getsockname()[:2])
    refused = 0
    pending = list(socks)
    end = time.monotonic() + 2
    while pending and time.monotonic() < end:
        r, _, _ = select.select(pending, [], [], max(0, end - time.monotonic()))
        for s in r:
            try:
                s.recv(65536)       # the peer answered: not refused
            except ConnectionRefusedError:
                refused += 1
            except OSError:
                pass
            pending.remove(s)
    for s in socks:
        s.close()
    log("assoc %d thirdparty: sent from %s, refused %d/%d"
        % (n, " ".join(names), refused, len(socks)))


def session(n, c, peer, args):
    u = None
    try:
        c.settimeout(30)
        ver, nm = recv_exact(c, 2)
        methods = recv_exact(c, nm)
        if ver != 5 or 0 not in methods:
            c.sendall(b"\x05\xff")
            log("assoc %d from %s:%d: not a SOCKS5 greeting without authentication" % ((n,) + peer[:2]))
            return
        c.sendall(b"\x05\x00")
        ver, cmd, _ = recv_exact(c, 3)
        req = read_addr(c)
        if ver != 5 or cmd != 3:
            c.sendall(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
            log("assoc %d from %s:%d: CMD %d refused" % ((n,) + peer[:2] + (cmd,)))
            return
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        big_buffers(u)
        u.bind((args.addr, args.udp_port))
        bnd = u.getsockname()
        if args.bnd:
            bnd = (args.bnd, bnd[1])
        c.sendall(b"\x05\x00\x00" + bnd_part(bnd[0]) + struct.pack(">H", bnd[1]))
        log("assoc %d granted: control from %s:%d (request %s:%d), relay %s:%d"
            % ((n,) + peer[:2] + req + bnd))
        c.settimeout(None)
        while True:
            r, _, _ = select.select([c, u], [], [])
            if c in r:
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    log("assoc %d control connection closed by the client" % n)
                    return
            if u not in r:
                continue
            d, src = u.recvfrom(65536)
            parsed = parse_header(d)
            if parsed is None:
                log("assoc %d from %s:%d: no SOCKS5 UDP header (%d bytes: %s)"
                    % ((n,) + src[:2] + (len(d), d[:24].hex())))
                continue
            dest, payload = parsed
            kind = payload.split(b" ", 1)[0].decode("ascii", "replace")
            rargs = None
            if kind == "random":
                try:
                    rargs = random_args(payload)
                except ValueError as e:
                    log("assoc %d: %s" % (n, e))
                    continue
            out = answer(kind, dest, payload, rargs)
            log("assoc %d to %s:%d kind %s sent %d" % ((n,) + dest + (kind, len(out))))
            if kind == "close":
                c.shutdown(socket.SHUT_RDWR)
                log("assoc %d closed the control connection" % n)
                return
            if kind == "thirdparty":
                third_party(n, u, src, args, dest, payload)
            elif kind == "ctrljunk":
                c.sendall(random.Random(n).randbytes(32 << 10))
            for x in out:
                try:
                    u.sendto(x, src)
                except OSError as e:
                    log("assoc %d: sendto %s:%d: %s" % ((n,) + src[:2] + (e,)))
    except (OSError, ConnectionError, ValueError) as e:
        log("assoc %d: %s" % (n, e))
    finally:
        c.close()
        if u:
            u.close()


def bnd_part(addr):
    """ATYP and BND.ADDR for @addr, as it is written."""
    if ":" in addr:
        return b"\x04" + socket.inet_pton(socket.AF_INET6, addr)
    return b"\x01" + socket.inet_aton(addr)


def trap(args):
    socks = []
    for port in args.port:
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            t = socket.socket(fam, socket.SOCK_DGRAM)
            t.bind((host, port))
            socks.append(t)
    log("trap listening on %s" % " ".join("%s:%d" % t.getsockname()[:2] for t in socks))
    while True:
        r, _, _ = select.select(socks, [], [])
        for t in r:
            d, src = t.recvfrom(65536)
            log("trap got %d bytes on %s:%d from %s:%d"
                % ((len(d),) + t.getsockname()[:2] + src[:2]))


def server(args):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.addr, args.port))
    ls.listen(64)
    log("listening on %s:%d" % (args.addr, args.port))
    n = 0
    while True:
        c, peer = ls.accept()
        n += 1
        threading.Thread(target=session, args=(n, c, peer, args), daemon=True).start()


# ---- natively ------------------------------------------------------------------

def associate(proxy, timeout):
    c = socket.create_connection(proxy, timeout=timeout)
    c.sendall(b"\x05\x01\x00")
    if recv_exact(c, 2) != b"\x05\x00":
        raise ConnectionError("the proxy wants authentication")
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    ver, rep, _ = recv_exact(c, 3)
    relay = read_addr(c)
    if ver != 5:
        raise ConnectionError("version %d in the reply" % ver)
    return c, rep, relay


def cmd_associate(args):
    try:
        c, rep, relay = associate((args.proxy, args.port), 10)
    except OSError as e:
        print("error", e)
        return 1
    c.close()
    print("REP %d BND %s:%d" % ((rep,) + relay))
    return 0


def tag():
    return os.urandom(4).hex()


def native(args):
    dest = parse_dest(args.dest)
    fam = family_of(dest[0])
    try:
        c, rep, relay = associate((args.proxy, args.port), 10)
    except OSError as e:
        print("UDP ASSOCIATE: %s" % e)
        return 1
    if rep != 0:
        print("UDP ASSOCIATE: REP %d" % rep)
        return 1
    u = socket.socket(family_of(relay[0]), socket.SOCK_DGRAM)
    big_buffers(u)
    bad = 0
    plan = [(k, None) for k in KINDS] + [("random", (1928, 0, 200))]
    for kind, rargs in plan:
        payload = ("%s %s" % (kind, tag())).encode()
        if rargs:
            payload = b"random %d %d %d" % rargs
        want = answer(kind, dest, payload, rargs)
        u.sendto(udp_header(dest) + payload, relay)
        got, others = [], []
        end = time.monotonic() + args.timeout
        while len(got) < len(want) and time.monotonic() < end:
            r, _, _ = select.select([u], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            d, src = u.recvfrom(65536)
            if norm(src) == norm(relay):
                got.append(d)
            else:
                others.append((src, d))
        classes = collections.Counter(classify(d, fam, [dest])[0] for d in want)
        problems = []
        if got != want:
            problems.append("the relay sent %d datagrams, the model %d%s"
                            % (len(got), len(want),
                               "" if len(got) != len(want) else ", different bytes"))
        intended = collections.Counter({DELIVER: 1})     # the marker or echo
        if kind in SINGLE:
            intended[SINGLE[kind]] += 1
        elif kind == "burst":
            intended[DELIVER] += 1
            intended.update(SINGLE.values())
        if kind != "random" and classes != intended:
            problems.append("classes %s, intended %s" % (dict(classes), dict(intended)))
        if kind == "thirdparty":
            ok3 = [o for o in others if parse_header(o[1]) and norm(parse_header(o[1])[0]) == norm(dest)]
            if len(ok3) < 2:
                problems.append("%d correct datagrams from other sockets, want 2 or more" % len(ok3))
        elif others:
            problems.append("%d datagrams from other sources" % len(others))
        print("%s: %d datagrams (%s)%s" % (
            kind, len(got), " ".join("%s %d" % kv for kv in sorted(classes.items())),
            (": " + "; ".join(problems)) if problems else
            ("" if kind != "thirdparty" else ", %d from other sockets" % len(others))))
        bad += bool(problems)
    u.sendto(udp_header(dest) + b"close " + tag().encode(), relay)
    c.settimeout(args.timeout)
    try:
        while c.recv(65536):
            pass
        print("close: the relay closed the control connection")
    except OSError as e:
        print("close: the control connection still open: %s" % e)
        bad += 1
    c.close()
    return 1 if bad else 0


# ---- behind mprox ---------------------------------------------------------------

def app_socket(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    big_buffers(s)
    s.bind(("0.0.0.0", port))
    return s


def moved(counts, ups, new_association):
    m = collections.Counter()
    for cls, k in counts.items():
        m[COUNTER[cls]] += k
    m["datagrams_up"] += ups
    if new_association:
        m["associations"] += 1
    return " ".join("%s+%d" % kv for kv in sorted(m.items()) if kv[1])


def receive_until(s, marker, end, dest):
    """Datagrams until marker (included) or end: [(data, from DEST?)]."""
    got = []
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        d, src = s.recvfrom(65536)
        got.append((d, norm(src) == norm(dest), src))
        if d == marker and norm(src) == norm(dest):
            break
    return got


def udp_stats(args):
    """stats.udp of args.dev, from mprox-config --status; None without
    --mprox-config."""
    if not args.mprox_config:
        return None
    out = subprocess.run([args.mprox_config, args.dev, "--status"], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)["stats"]["udp"]


# datagrams_queued says how a datagram went up (held for the work rather
# than sent from xmit), not what became of it, so the model leaves it out.
NOT_MODELLED = ("bytes_up", "bytes_down", "datagrams_queued")


def stats_moved(before, after):
    return " ".join("%s+%d" % (k, after[k] - before.get(k, 0)) for k in sorted(after)
                    if k not in NOT_MODELLED and after[k] != before.get(k, 0))


def app_kind(s, dest, kind, new_association, args):
    """One KIND: its results as ("ok"|"not ok", text) pairs."""
    payload = ("%s %s" % (kind, tag())).encode()
    before = udp_stats(args)
    if kind == "close":
        s.sendto(payload, dest)
        return [("ok", "close: sent %s" % payload.decode())]
    out = answer(kind, dest, payload)
    verdicts = [classify(d, socket.AF_INET, [dest]) for d in out]
    want = [p for cls, p in verdicts if cls == DELIVER]
    expect = moved(collections.Counter(v[0] for v in verdicts), 1, new_association)
    s.sendto(payload, dest)
    got = receive_until(s, want[-1], time.monotonic() + args.timeout, dest)
    problems = []
    if any(not ok for _, ok, _ in got):
        problems.append("from elsewhere than %s:%d: %s" % (
            dest + (", ".join("%s:%d" % src[:2] for _, ok, src in got if not ok),)))
    data = [d for d, ok, _ in got if ok]
    if data != want:
        problems.append("received %s, want %s" % (
            [d[:40].hex() or "(0 bytes)" for d in data], [d[:40].hex() or "(0 bytes)" for d in want]))
    if problems:
        res = [("not ok", "%s: %s" % (kind, "; ".join(problems)))]
    else:
        res = [("ok", "%s: got %d datagram%s from %s:%d, byte for byte the %s" % (
            (kind, len(data), "" if len(data) == 1 else "s") + dest +
            ("echo" if kind == "valid" else
             "marker alone" if len(data) == 1 else "%d expected deliveries" % len(data),)))]
    if before is None:
        res.append(("ok", "%s: expect: %s" % (kind, expect)))
    else:
        m = stats_moved(before, udp_stats(args))
        res.append(("ok" if m == expect else "not ok",
                    "%s: stats.udp moved %s%s" % (kind, m or "nothing",
                                                  "" if m == expect else ", want " + expect)))
    return res


def app(args):
    dest = parse_dest(args.dest)
    if family_of(dest[0]) != socket.AF_INET:
        raise SystemExit("app: an IPv4 DEST")
    s = app_socket(args.port)
    bad = 0
    for i, kind in enumerate(args.kind):
        try:
            res = app_kind(s, dest, kind, args.new_association and not i, args)
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
            res = [("not ok", "%s: %s" % (kind, e))]
        for verdict, text in res:
            print(verdict, text, flush=True)
            bad += verdict != "ok"
    return 1 if bad else 0


def random_run(args):
    dest = parse_dest(args.dest)
    if family_of(dest[0]) != socket.AF_INET:
        raise SystemExit("random: an IPv4 DEST")
    s = app_socket(args.port)
    counts = collections.Counter()
    want = collections.Counter()
    got = collections.Counter()
    foreign_src = 0
    ups = total = 0
    order_same = True
    problems = []
    t0 = time.monotonic()
    for start in range(0, args.count, args.chunk):
        n = min(args.chunk, args.count - start)
        payload = b"random %d %d %d" % (args.seed, start, n)
        out = answer("random", dest, payload, (args.seed, start, n))
        verdicts = [classify(d, socket.AF_INET, [dest]) for d in out]
        counts.update(v[0] for v in verdicts)
        chunk_want = [p for cls, p in verdicts if cls == DELIVER]
        want.update(chunk_want)
        total += len(out)
        s.sendto(payload, dest)
        ups += 1
        rec = receive_until(s, chunk_want[-1], time.monotonic() + args.timeout, dest)
        foreign_src += sum(1 for _, ok, _ in rec if not ok)
        data = [d for d, ok, _ in rec if ok]
        got.update(data)
        if data != chunk_want:
            order_same = False
        if not rec or rec[-1][0] != chunk_want[-1]:
            problems.append("chunk %d..%d: no marker within %g s" % (start, start + n - 1, args.timeout))
            break
    unexpected = got - want
    missing = want - got
    print("random (seed %d): the relay sent %d (%d mutated, %d markers): %s; the app"
          " received %d, unexpected %d, missing %d, from elsewhere %d, order %s (%.1f s)"
          % (args.seed, total, args.count, ups,
             " ".join("%s %d" % (k, counts[k]) for k in (MALFORMED, FRAGMENT, FOREIGN, DELIVER)),
             sum(got.values()), sum(unexpected.values()), sum(missing.values()), foreign_src,
             "as sent" if order_same else "differs", time.monotonic() - t0))
    print("expect: %s" % moved(counts, ups, False))
    print("total: %d" % total)
    for d in list(unexpected)[:5]:
        problems.append("unexpected: %s" % (d[:40].hex() or "(0 bytes)"))
    for d in list(missing)[:5]:
        problems.append("missing: %s" % (d[:40].hex() or "(0 bytes)"))
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems or unexpected or missing or foreign_src else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("server")
    p.add_argument("port", type=int)
    p.add_argument("--addr", default="10.200.1.1")
    p.add_argument("--third-party")
    p.add_argument("--bnd")
    p.add_argument("--udp-port", type=int, default=0)
    p = sub.add_parser("trap")
    p.add_argument("port", type=int, nargs="+")
    p = sub.add_parser("associate")
    p.add_argument("proxy")
    p.add_argument("port", type=int)
    p = sub.add_parser("native")
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("proxy")
    p.add_argument("port", type=int)
    p.add_argument("dest")
    p = sub.add_parser("app")
    p.add_argument("--port", type=int, default=20001)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--new-association", action="store_true")
    p.add_argument("--mprox-config")
    p.add_argument("--dev", default="mprox0")
    p.add_argument("dest")
    p.add_argument("kind", nargs="+", choices=KINDS + ("close",))
    p = sub.add_parser("random")
    p.add_argument("--port", type=int, default=20001)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--seed", type=int, default=1928)
    p.add_argument("--chunk", type=int, default=50)
    p.add_argument("dest")
    p.add_argument("count", type=int)
    args = ap.parse_args()
    if args.cmd == "server":
        return server(args)
    if args.cmd == "trap":
        return trap(args)
    if args.cmd == "associate":
        return cmd_associate(args)
    if args.cmd == "native":
        return native(args)
    if args.cmd == "app":
        return app(args)
    if args.count < 1 or not 1 <= args.chunk <= 200:
        raise SystemExit("COUNT >= 1, --chunk 1..200")
    return random_run(args)


if __name__ == "__main__":
    sys.exit(main())
