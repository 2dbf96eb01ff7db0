#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Proxies that misbehave, one mode per listening port, for the cases that
prove mprox survives its upstream (tcp-hostile.sh, tcp-isolation.sh,
tcp-pending.sh). One asyncio process serves every port and any number of
connections (10,000 silent ones for tcp-pending.sh).

  hostile_proxy.py MODE[=ARG]:PORT [MODE[=ARG]:PORT ...]

Every port listens on all addresses, IPv4 and IPv6. HTTP modes read the
client's whole CONNECT request (up to the blank line) before they answer,
SOCKS5 modes the greeting and then the request, as a real proxy would;
then:

  http-ok               "HTTP/1.1 200 Connection established", relay
  http-slow[=MS]        the same reply one byte per segment, MS (20) apart,
                        then relay (must succeed)
  http-delay=MS         wait MS, then the good reply and relay
  http-garbage          bytes that are no HTTP reply at all (an SSH
                        banner and binary junk, then a blank line), and
                        the connection stays open
  http-huge-headers     "200" with 100 KiB of header lines, then the blank
                        line, then relay
  http-long-status      "HTTP/1.1 200 " followed by 9 KiB of reason phrase,
                        then the blank line, then relay
  http-trickle[=MS]     "HTTP/1.1 200 OK" and header bytes, one every MS
                        (50), forever: the header block never ends
  http-close-mid        half of the good reply, then close
  http-200-data         connect to the destination, wait for its first
                        bytes (a server that speaks first), send the 200
                        and those bytes in one segment, then relay: what
                        follows the reply is the destination's and must
                        reach the application
  socks5-ok             a correct SOCKS5 server (no authentication)
  socks5-slow[=MS]      both replies one byte per segment, MS (20) apart
  socks5-delay=MS       wait MS after the request, then the reply
  socks5-garbage        answers the greeting with an HTTP error page (an
                        HTTP proxy configured as SOCKS5), stays open
  socks5-badver         a good method reply, then a CONNECT reply with
                        VER 0x47, stays open
  socks5-close-mid      a good method reply, then 3 bytes of the CONNECT
                        reply, then close
  socks5-reset[=MS]     a correct SOCKS5 reply, then, at the client's first
                        bytes, a RST (SO_LINGER 0): as a destination that
                        resets reaches the client through a real proxy;
                        MS (0) after those bytes, reading nothing more, so
                        that a client still sending fills the buffers
  silent                accept, read and discard, never answer (also for
                        10,000 connections at once)

Prints "PORT MODE EVENT" lines to stdout: "connect HOST PORT" once a
request is parsed, "relay" once relaying, "gone" when the client went away
before the reply was complete. Silent prints only how each connection
ended ("eof" or the error) and after how many seconds, one line each.
"""
import asyncio
import resource
import socket
import struct
import sys
import time

HTTP_OK = b"HTTP/1.1 200 Connection established\r\nProxy-Agent: hostile_proxy\r\n\r\n"


def log(port, mode, event):
    print("%d %s %s" % (port, mode, event), flush=True)


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    try:
        writer.write_eof()
    except (ConnectionError, OSError, RuntimeError):
        pass


async def relay(cr, cw, ur, uw):
    await asyncio.gather(pipe(cr, uw), pipe(ur, cw))
    uw.close()


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def send_slowly(writer, data, delay):
    for i in range(len(data)):
        if i:
            await asyncio.sleep(delay)
        writer.write(data[i:i + 1])
        await writer.drain()


async def read_http_request(reader):
    """The CONNECT request: (host, port)."""
    head = await reader.readuntil(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode("ascii", "replace")
    method, target, _ = line.split(" ", 2)
    if method != "CONNECT":
        raise ValueError("not CONNECT: %r" % line)
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


async def read_socks5(reader, writer, slow=None):
    """Greeting, method reply, request: (host, port)."""
    ver, n = await reader.readexactly(2)
    methods = await reader.readexactly(n)
    if ver != 5 or 0 not in methods:
        raise ValueError("not a SOCKS5 greeting without authentication")
    if slow is None:
        writer.write(b"\x05\x00")
    else:
        await send_slowly(writer, b"\x05\x00", slow)
    ver, cmd, _, atyp = await reader.readexactly(4)
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
    elif atyp == 3:
        host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
    else:
        raise ValueError("ATYP %d" % atyp)
    port = struct.unpack("!H", await reader.readexactly(2))[0]
    if ver != 5 or cmd != 1:
        raise ValueError("not a CONNECT request")
    return host, port


def socks5_reply(rep, uw=None):
    bound = b"\x01\x00\x00\x00\x00\x00\x00"
    if uw is not None:
        name = uw.get_extra_info("sockname")
        if ":" in name[0]:
            bound = b"\x04" + socket.inet_pton(socket.AF_INET6, name[0])
        else:
            bound = b"\x01" + socket.inet_pton(socket.AF_INET, name[0])
        bound += struct.pack("!H", name[1])
    return bytes([5, rep, 0]) + bound


async def dial(host, port):
    return await asyncio.wait_for(asyncio.open_connection(host, port), 10)


async def serve(mode, arg, port, cr, cw):
    nodelay(cw)
    if mode == "silent":
        start = time.monotonic()
        try:
            while await cr.read(65536):
                pass
            why = "eof"
        except (ConnectionError, OSError) as e:
            why = type(e).__name__
        log(port, mode, "%s after %.1f s" % (why, time.monotonic() - start))
        return
    if mode.startswith("http-"):
        host, dport = await read_http_request(cr)
    else:
        slow = arg / 1000.0 if mode == "socks5-slow" else None
        if mode == "socks5-garbage":
            await cr.readexactly(2)
            cw.write(b"HTTP/1.1 400 Bad Request\r\nServer: not-socks\r\n"
                     b"Content-Length: 0\r\n\r\n")
            await cw.drain()
            log(port, mode, "garbage sent")
            while await cr.read(65536):
                pass
            return
        host, dport = await read_socks5(cr, cw, slow)
    log(port, mode, "connect %s %d" % (host, dport))

    if mode == "http-garbage":
        cw.write(b"SSH-2.0-OpenSSH_9.2p1\r\n\x00\xff\xfe\x01garbage\x80\x81\r\n\r\n")
        await cw.drain()
        while await cr.read(65536):
            pass
        return
    if mode == "http-trickle":
        cw.write(b"HTTP/1.1 200 OK\r\n")
        i = 0
        while True:
            await asyncio.sleep(arg / 1000.0)
            cw.write(b"X-Trickle-%d: t\r\n" % i if i % 8 == 0 else b"t")
            await cw.drain()
            i += 1
    if mode == "http-close-mid":
        cw.write(HTTP_OK[:20])
        await cw.drain()
        cw.close()
        log(port, mode, "closed mid-reply")
        return
    if mode == "socks5-badver":
        cw.write(b"\x47" + socks5_reply(0)[1:])
        await cw.drain()
        while await cr.read(65536):
            pass
        return
    if mode == "socks5-close-mid":
        cw.write(socks5_reply(0)[:3])
        await cw.drain()
        cw.close()
        log(port, mode, "closed mid-reply")
        return
    if mode in ("http-delay", "socks5-delay"):
        await asyncio.sleep(arg / 1000.0)

    try:
        ur, uw = await dial(host, dport)
    except (OSError, asyncio.TimeoutError) as e:
        log(port, mode, "dial failed: %s" % e)
        cw.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n" if mode.startswith("http-")
                 else socks5_reply(1))
        await cw.drain()
        cw.close()
        return

    if mode == "http-200-data":
        # The destination speaks first: its first bytes ride in the very
        # segment that carries the end of the reply.
        first = await asyncio.wait_for(ur.read(65536), 10)
        cw.write(HTTP_OK + first)
        log(port, mode, "200 and %d destination bytes in one segment" % len(first))
    elif mode in ("http-ok", "http-delay"):
        cw.write(HTTP_OK)
    elif mode == "http-slow":
        await send_slowly(cw, HTTP_OK, arg / 1000.0)
    elif mode == "http-huge-headers":
        pad = b"".join(b"X-Pad-%05d: %s\r\n" % (i, b"p" * 80) for i in range(1200))
        cw.write(b"HTTP/1.1 200 Connection established\r\n" + pad + b"\r\n")
    elif mode == "http-long-status":
        cw.write(b"HTTP/1.1 200 " + b"L" * 9216 + b"\r\n\r\n")
    elif mode in ("socks5-ok", "socks5-delay", "socks5-reset"):
        cw.write(socks5_reply(0, uw))
    elif mode == "socks5-slow":
        await send_slowly(cw, socks5_reply(0, uw), arg / 1000.0)
    else:
        raise ValueError("mode %s" % mode)
    await cw.drain()
    if mode == "socks5-reset":
        await cr.read(65536)
        if arg:
            await asyncio.sleep(arg / 1000.0)
        cw.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
        cw.transport.abort()
        uw.close()
        log(port, mode, "reset")
        return
    log(port, mode, "relay")
    await relay(cr, cw, ur, uw)


DEFAULT_ARG = {"http-slow": 20, "socks5-slow": 20, "http-trickle": 50,
               "http-delay": 1000, "socks5-delay": 1000}
MODES = ("http-ok", "http-slow", "http-delay", "http-garbage", "http-huge-headers",
         "http-long-status", "http-trickle", "http-close-mid", "http-200-data",
         "socks5-ok", "socks5-slow", "socks5-delay", "socks5-garbage", "socks5-badver",
         "socks5-close-mid", "socks5-reset", "silent")


def handler(mode, arg, port):
    async def handle(cr, cw):
        try:
            await serve(mode, arg, port, cr, cw)
        except (ConnectionError, OSError, EOFError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError, asyncio.TimeoutError) as e:
            log(port, mode, "gone (%s)" % type(e).__name__)
        finally:
            cw.close()
    return handle


async def main(specs):
    servers = []
    for spec in specs:
        what, _, port = spec.rpartition(":")
        mode, _, arg = what.partition("=")
        if mode not in MODES:
            raise SystemExit("hostile_proxy: unknown mode %r\n%s" % (mode, __doc__))
        arg = int(arg) if arg else DEFAULT_ARG.get(mode, 0)
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", int(port)))
        servers.append(await asyncio.start_server(
            handler(mode, arg, int(port)), sock=sock, backlog=4096, limit=1 << 20))
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    # Tens of thousands of connections: as many descriptors as we may have.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(sys.argv[1:]))
