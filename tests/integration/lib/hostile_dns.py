#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A DNS server that answers with hostile responses, and its client.

server ADDR PORT: answers every TXT query on UDP ADDR:PORT with the kind
of response its first label names (KINDS), and prints "query NAME" for
each query it got, so the test can tell whether a second query for a name
reached it or was answered by a cache on the way.

ask SERVER PORT NAME...: one socket asks TXT for each NAME in turn (each
answer waited for, up to --timeout s) and prints "NAME LEN ok|REASON" a
line: LEN is the answer's length (0: none), REASON what is wrong with an
answer that must be well-formed (--check: a response to this query, its
question as asked).

Runs in the guest, as a test's server and client; never anywhere else.
"""

import argparse
import random
import socket
import struct
import sys

TXT = 16


def qname_end(msg, off):
    """The offset past the uncompressed name at off, or None."""
    while off < len(msg):
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0:
            return None
        off += 1 + n
    return None


def question(msg):
    """(name in wire form, qtype, offset past the question) or None."""
    if len(msg) < 12 or struct.unpack(">H", msg[4:6])[0] != 1:
        return None
    end = qname_end(msg, 12)
    if end is None or end + 4 > len(msg):
        return None
    return msg[12:end], struct.unpack(">H", msg[end:end + 2])[0], end + 4


def first_label(wire):
    return wire[1:1 + wire[0]].decode("ascii", "replace").lower() if wire else ""


def txt_record(owner, ttl, text):
    rdata = bytes([len(text)]) + text
    return owner + struct.pack(">HHIH", TXT, 1, ttl, len(rdata)) + rdata


def correct(qid, q, text=b"ok", ttl=300, flags=0x8180, an=1):
    head = struct.pack(">6H", qid, flags, 1, an, 0, 0)
    return head + q + txt_record(b"\xc0\x0c", ttl, text)


def mutate(msg, seed):
    """A random mutation of msg: bytes changed, cut short or extended."""
    r = random.Random(seed)
    b = bytearray(msg)
    for _ in range(r.randint(1, 4)):
        how = r.randrange(4)
        if how == 0 and b:
            b[r.randrange(len(b))] = r.randrange(256)
        elif how == 1 and len(b) > 2:
            del b[r.randrange(2, len(b)):]
        elif how == 2:
            b += bytes(r.randrange(256) for _ in range(r.randint(1, 40)))
        elif b:
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
    return bytes(b)


def response(msg):
    """The response for query msg, by the kind its first label names."""
    qs = question(msg)
    if qs is None:
        return None
    wire, _, end = qs
    qid = struct.unpack(">H", msg[:2])[0]
    q = msg[12:end]
    kind = first_label(wire)
    if kind == "ok":
        return correct(qid, q)
    if kind == "loop":
        # The answer's owner is a pointer to itself.
        off = 12 + len(q)
        head = struct.pack(">6H", qid, 0x8180, 1, 1, 0, 0)
        return head + q + struct.pack(">H", 0xC000 | off) + struct.pack(">HHIH", TXT, 1, 300, 3) + b"\x02ok"
    if kind == "fwd":
        # A pointer to beyond the end of the message.
        head = struct.pack(">6H", qid, 0x8180, 1, 1, 0, 0)
        return head + q + b"\xc0\xff" + struct.pack(">HHIH", TXT, 1, 300, 3) + b"\x02ok"
    if kind == "cut":
        return correct(qid, q)[:-5]
    if kind == "tc":
        return correct(qid, q, flags=0x8380)
    if kind == "id":
        return correct(qid ^ 0xFFFF, q)
    if kind == "other":
        # Another name in the question, of the same length.
        return correct(qid, b"\x05xther" + q[6:])
    if kind == "count":
        return correct(qid, q, an=200)
    if kind == "servfail":
        return struct.pack(">6H", qid, 0x8182, 1, 0, 0, 0) + q
    if kind == "ttl0":
        return correct(qid, q, ttl=0)
    if kind == "rdlen":
        head = struct.pack(">6H", qid, 0x8180, 1, 1, 0, 0)
        return head + q + b"\xc0\x0c" + struct.pack(">HHIH", TXT, 1, 300, 900) + b"\x02ok"
    if kind == "huge":
        text = b"x" * 255
        recs = b"".join(txt_record(b"\xc0\x0c", 300, text) for _ in range(16))
        return struct.pack(">6H", qid, 0x8180, 1, 16, 0, 0) + q + recs
    if kind.startswith("mut") and kind[3:].isdigit():
        return mutate(correct(qid, q), int(kind[3:]))
    return correct(qid, q)


def server(args):
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((args.addr, args.port))
    while True:
        msg, peer = s.recvfrom(65535)
        qs = question(msg)
        if qs is None:
            continue
        name = b".".join(qs[0][1 + i:1 + i + n] for i, n in labels(qs[0]))
        print("query", name.decode("ascii", "replace").lower(), flush=True)
        r = response(msg)
        if r:
            s.sendto(r, peer)


def labels(wire):
    i = 0
    while i < len(wire) and wire[i]:
        yield i, wire[i]
        i += 1 + wire[i]


def encode(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def check(query, ans):
    """What is wrong with ans as the response to query, or "ok"."""
    if len(ans) < 12:
        return "short"
    if ans[:2] != query[:2]:
        return "id"
    if not ans[2] & 0x80:
        return "not a response"
    qs = question(ans)
    if qs is None or ans[12:qs[2]] != query[12:len(query)]:
        return "question"
    return "ok"


def ask(args):
    fam = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    s.connect((args.server, args.port))
    r = random.Random(args.seed)
    for name in args.names:
        qid = r.randrange(65536)
        # The same names are asked twice: the checked round's ids are not
        # the first round's, so an answer replayed from a cache with its
        # stored id fails check().
        if args.check:
            qid ^= 0xFFFF
        query = struct.pack(">6H", qid, 0x0100, 1, 0, 0, 0) + encode(name) + \
            struct.pack(">HH", TXT, 1)
        s.send(query)
        try:
            ans = s.recv(65535)
        except socket.timeout:
            print(name, 0, "none", flush=True)
            continue
        except ConnectionRefusedError:
            print(name, 0, "refused", flush=True)
            continue
        print(name, len(ans), check(query, ans) if args.check else "ok", flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("server")
    sp.add_argument("addr")
    sp.add_argument("port", type=int)
    sp.set_defaults(func=server)
    ap = sub.add_parser("ask")
    ap.add_argument("server")
    ap.add_argument("port", type=int)
    ap.add_argument("names", nargs="+")
    ap.add_argument("--timeout", type=float, default=3)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--seed", type=int, default=53)
    ap.set_defaults(func=ask)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
