# SPDX-License-Identifier: GPL-2.0
# The test network: three hosts in network namespaces of the test guest,
# joined by veth pairs. The client reaches the proxy host; only the proxy
# host reaches the server (it does not forward), so anything the client gets
# from the server came through a proxy. Sourced by cases after tap.sh.
#
#   client 10.200.1.2 / fd00:200:1::2  --  10.200.1.1 / fd00:200:1::1  proxy
#   proxy  10.200.2.1 / fd00:200:2::1  --  10.200.2.2 / fd00:200:2::2  server
#
#   topo_up                 create the hosts and links
#   topo_web [PORT]         HTTP server on the server host serving $TOPO_WWW
#   topo_microsocks [PORT]  microsocks (no auth) on the proxy host
#   topo_microsocks_start [PORT]
#                           the same, not waited for
#   topo_dante PORT USER PASSWORD
#                           dante-server with RFC 1929 username auth
#   topo_dante4 PORT BLOCKED_PORT
#                           dante-server without authentication (SOCKS4
#                           and SOCKS5), refusing BLOCKED_PORT (CD 91)
#   topo_dante_udp PORT [block]
#                           dante-server without authentication (SOCKS5)
#                           allowing CONNECT and UDP ASSOCIATE (and the
#                           replies to it) to anywhere, IPv4 and IPv6; with
#                           "block", refusing every UDP ASSOCIATE instead
#   topo_tinyproxy PORT CONNECT_PORTS [USER PASSWORD]
#                           tinyproxy (HTTP CONNECT) allowing CONNECT to
#                           the space-separated CONNECT_PORTS only (403
#                           for others), with BasicAuth if USER is given
#   topo_squid PORT ALLOWED_PORTS DENIED_PORTS
#                           squid in the foreground (-N), CONNECT allowed
#                           to ALLOWED_PORTS, 403 for DENIED_PORTS (and
#                           every other), no cache; logs in
#                           /tmp/mprox-squid-PORT/
#   topo_lan                a fourth host, 10.200.9.2 / fd00:200:9::2,
#                           behind the client (10.200.9.1 / fd00:200:9::1),
#                           which routes for it: its traffic to the server
#                           is forwarded, not sent by a local socket
#   topo_lan_down           delete it, the client a host again
#   topo_down               stop everything, delete the namespaces
# Every daemon is waited for (its port listening), never slept for. Call
# the topo_ functions directly, not in $(...) (check does that): daemons
# started in a subshell are not known to topo_down.

TOPO_C=mpx-client
TOPO_P=mpx-proxy
TOPO_S=mpx-server
TOPO_L=mpx-lan
TOPO_WWW=/tmp/mprox-www
topo_pids=()

# topo_ns NS CMD...: CMD in host NS. ip netns exec also gives CMD a mount
# namespace with NS's /sys and /etc/netns/NS bound over /etc, and costs
# about 200 ms more than nsenter in a debug guest, on every call; so only
# hosts with an /etc/netns/NS (dns-fakeip's resolv.conf) get it. A CMD that
# reads /sys/class/net runs under ip netns exec itself.
topo_ns() {
	if [ -d "/etc/netns/$1" ]; then
		ip netns exec "$@"
	else
		nsenter --net="/run/netns/$1" "${@:2}"
	fi
}

topo_up() {
	local ns
	# ip -n, not topo_ns ip: one process a command, not two.
	for ns in $TOPO_C $TOPO_P $TOPO_S; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		topo_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	ip link add c0 netns $TOPO_C type veth peer name p0 netns $TOPO_P || return 1
	ip link add p1 netns $TOPO_P type veth peer name s0 netns $TOPO_S || return 1
	ip -n $TOPO_C addr add 10.200.1.2/24 dev c0
	ip -n $TOPO_C addr add fd00:200:1::2/64 dev c0 nodad
	ip -n $TOPO_P addr add 10.200.1.1/24 dev p0
	ip -n $TOPO_P addr add fd00:200:1::1/64 dev p0 nodad
	ip -n $TOPO_P addr add 10.200.2.1/24 dev p1
	ip -n $TOPO_P addr add fd00:200:2::1/64 dev p1 nodad
	ip -n $TOPO_S addr add 10.200.2.2/24 dev s0
	ip -n $TOPO_S addr add fd00:200:2::2/64 dev s0 nodad
	ip -n $TOPO_C link set c0 up
	ip -n $TOPO_P link set p0 up
	ip -n $TOPO_P link set p1 up
	ip -n $TOPO_S link set s0 up
	# The proxy host is a host, not a router.
	topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
}

topo_lan() {
	ip netns add $TOPO_L || return 1
	ip -n $TOPO_L link set lo up
	topo_ns $TOPO_L sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
	ip link add l0 netns $TOPO_L type veth peer name c1 netns $TOPO_C || return 1
	ip -n $TOPO_C addr add 10.200.9.1/24 dev c1
	ip -n $TOPO_C addr add fd00:200:9::1/64 dev c1 nodad
	ip -n $TOPO_L addr add 10.200.9.2/24 dev l0
	ip -n $TOPO_L addr add fd00:200:9::2/64 dev l0 nodad
	ip -n $TOPO_C link set c1 up
	ip -n $TOPO_L link set l0 up
	ip -n $TOPO_L route add default via 10.200.9.1
	ip -n $TOPO_L -6 route add default via fd00:200:9::1
	topo_ns $TOPO_C sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

topo_lan_down() {
	ip netns pids $TOPO_L 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del $TOPO_L 2>/dev/null
	topo_ns $TOPO_C sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
}

# Is something listening on TCP PORT in namespace NS?
topo_listening() {
	topo_ns "$1" ss -Hltn "sport = :$2" | grep -q .
}

topo_spawn() {
	local ns=$1
	shift
	topo_ns "$ns" "$@" </dev/null >"/tmp/mprox-topo-${#topo_pids[@]}.log" 2>&1 &
	topo_pids+=($!)
}

# The output of what topo_spawn started last.
topo_last_log() {
	echo "/tmp/mprox-topo-$((${#topo_pids[@]} - 1)).log"
}

topo_web() {
	local port=${1:-8080}
	mkdir -p "$TOPO_WWW"
	topo_spawn $TOPO_S python3 -m http.server --bind :: --directory "$TOPO_WWW" "$port"
	wait_for 60 topo_listening $TOPO_S "$port"
}

topo_microsocks_start() {
	topo_spawn $TOPO_P microsocks -i :: -p "${1:-1080}"
}

topo_microsocks() {
	local port=${1:-1080}
	topo_microsocks_start "$port"
	wait_for 30 topo_listening $TOPO_P "$port"
}

topo_dante() {
	local port=$1 user=$2 password=$3 conf
	conf=/tmp/mprox-danted-$port.conf
	# Dante checks RFC 1929 credentials against the system's users.
	id "$user" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$user" || return 1
	echo "$user:$password" | chpasswd || return 1
	cat >"$conf" <<DANTE
logoutput: stderr
internal: 10.200.1.1 port = $port
internal: fd00:200:1::1 port = $port
external: p1
clientmethod: none
socksmethod: username
# 50 password checks at once (yescrypt, tcp-auth-parallel) on a loaded
# TCG guest take longer than the default 30 s.
timeout.negotiate: 180
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
client pass { from: ::/0 to: ::/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect }
socks pass { from: ::/0 to: ::/0 command: connect }
DANTE
	topo_spawn $TOPO_P danted -f "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

topo_dante4() {
	local port=$1 blocked=$2 conf
	conf=/tmp/mprox-danted-$port.conf
	cat >"$conf" <<DANTE
logoutput: stderr
internal: 10.200.1.1 port = $port
internal: fd00:200:1::1 port = $port
external: p1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
client pass { from: ::/0 to: ::/0 }
socks block {
	from: 0/0 to: 0/0 port = $blocked
	log: connect
}
socks pass {
	from: 0/0 to: 0/0
	command: connect
	log: connect error
}
DANTE
	topo_spawn $TOPO_P danted -f "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

topo_tinyproxy() {
	local port=$1 ports=$2 user=${3:-} password=${4:-} conf p
	conf=/tmp/mprox-tinyproxy-$port.conf
	{
		echo "Port $port"
		echo "Timeout 600"
		echo "MaxClients 1000"
		echo "LogLevel Info"
		for p in $ports; do echo "ConnectPort $p"; done
		[ -z "$user" ] || echo "BasicAuth $user $password"
	} >"$conf"
	topo_spawn $TOPO_P tinyproxy -d -c "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

topo_squid() {
	local port=$1 allowed=$2 denied=$3 dir
	dir=/tmp/mprox-squid-$port
	mkdir -p "$dir" && chown proxy: "$dir" || return 1
	# No ICMP pinger, no DNS but a local address, no cache: a CONNECT
	# tunnel to an IP literal needs none of them.
	cat >"$dir/squid.conf" <<SQUID
http_port $port
pid_filename none
pinger_enable off
dns_nameservers 127.0.0.1
visible_hostname mprox-test
cache deny all
cache_mem 8 MB
cache_log stdio:$dir/cache.log
access_log stdio:$dir/access.log
coredump_dir $dir
shutdown_lifetime 0 seconds
acl allowed_ports port $allowed
acl denied_ports port $denied
acl CONNECT method CONNECT
http_access deny CONNECT denied_ports
http_access allow CONNECT allowed_ports
http_access deny all
SQUID
	topo_spawn $TOPO_P squid -N -f "$dir/squid.conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

topo_down() {
	local pid ns
	# Daemons fork (dante keeps a pool of children): kill everything that
	# lives in the hosts' namespaces, not just the pids started here.
	for ns in $TOPO_C $TOPO_P $TOPO_S $TOPO_L; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	for pid in "${topo_pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	topo_pids=()
	for ns in $TOPO_C $TOPO_P $TOPO_S $TOPO_L; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TOPO_WWW"
}

topo_dante_udp() {
	local port=$1 mode=${2:-pass} conf udp
	conf=/tmp/mprox-danted-$port.conf
	# "udpreply" rules: from is the host that answers, to the client.
	udp="socks pass {
	from: 0/0 to: 0/0
	command: udpassociate
	log: connect error
}
socks pass {
	from: 0/0 to: 0/0
	command: udpreply
	log: error
}"
	[ "$mode" = block ] && udp="socks block {
	from: 0/0 to: 0/0
	command: udpassociate
	log: connect error
}"
	cat >"$conf" <<DANTE
logoutput: stderr
internal: 10.200.1.1 port = $port
internal: fd00:200:1::1 port = $port
external: p1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0/0 to: 0/0 }
$udp
socks pass {
	from: 0/0 to: 0/0
	command: connect
	log: connect error
}
DANTE
	topo_spawn $TOPO_P danted -p "/tmp/mprox-danted-$port.pid" -f "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}
