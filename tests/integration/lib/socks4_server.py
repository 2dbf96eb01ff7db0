#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A SOCKS4 and SOCKS4a server (CONNECT only), for tcp-socks4.sh: dante
1.4 speaks SOCKS4 but not 4a (it connects to the 0.0.0.x of a 4a request
and ignores the name), so the 4a upstreams of the cases use this one.

  socks4_server.py PORT [--userid ID] [--block PORT]... [--host NAME=ADDR]...

A 4a request (DSTIP 0.0.0.x, x != 0) carries a name after the user id; an
IP literal as the name (an IPv6 address, with or without brackets) is
connected to as it is, a name given with --host to its address, and any
other name is refused (CD 91): this server never asks DNS. --userid: a
request with another user id gets CD 93. --block PORT: a request for that
destination port gets CD 91 (the server's rules forbid it), like a
destination that cannot be connected to.

Prints one line per request: "CONNECT 4|4a HOST PORT userid=ID CD".
Listens on every address, IPv4 and IPv6.
"""
import argparse
import asyncio
import ipaddress
import socket
import struct
import sys

from hostile_proxy import relay, nodelay


async def read_cstring(reader, limit=1024):
    data = await reader.readuntil(b"\0")
    if len(data) > limit:
        raise ValueError("string too long")
    return data[:-1]


def handler(opts):
    async def handle(cr, cw):
        nodelay(cw)
        try:
            await serve(opts, cr, cw)
        except (ConnectionError, OSError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError) as e:
            print("gone (%s)" % type(e).__name__, flush=True)
        finally:
            cw.close()
    return handle


async def serve(opts, cr, cw):
    vn, cd, dport = struct.unpack("!BBH", await cr.readexactly(4))
    dstip = await cr.readexactly(4)
    userid = (await read_cstring(cr)).decode("ascii", "replace")
    kind = "4"
    host = socket.inet_ntoa(dstip)
    target = host
    if dstip[:3] == b"\0\0\0" and dstip[3] != 0:
        kind = "4a"
        host = (await read_cstring(cr, 256)).decode("ascii", "replace")
        name = host.strip("[]")
        try:
            target = str(ipaddress.ip_address(name))
        except ValueError:
            target = opts.hosts.get(name)
    if vn != 4 or cd != 1:
        code = 91
    elif opts.userid is not None and userid != opts.userid:
        code = 93
    elif target is None or dport in opts.block:
        code = 91
    else:
        code = 90
    uw = None
    if code == 90:
        try:
            ur, uw = await asyncio.wait_for(asyncio.open_connection(target, dport), 10)
        except (OSError, asyncio.TimeoutError):
            code = 91
    print("CONNECT %s %s %d userid=%s %d" % (kind, host, dport, userid, code), flush=True)
    cw.write(struct.pack("!BBH", 0, code, 0) + b"\0\0\0\0")
    await cw.drain()
    if uw is not None:
        await relay(cr, cw, ur, uw)


async def main():
    p = argparse.ArgumentParser(usage=__doc__)
    p.add_argument("port", type=int)
    p.add_argument("--userid")
    p.add_argument("--block", type=int, action="append", default=[])
    p.add_argument("--host", action="append", default=[])
    opts = p.parse_args()
    opts.hosts = dict(h.split("=", 1) for h in opts.host)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", opts.port))
    server = await asyncio.start_server(handler(opts), sock=sock, backlog=1024)
    await server.serve_forever()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
