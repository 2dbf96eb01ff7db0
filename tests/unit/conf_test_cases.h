/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cases of the configuration file parser (ip-helper/conf.c), run by
 * tests/unit/test_conf.c: one table, good files and every kind of error.
 *
 * The input is @text (@len bytes when given, for NUL bytes), then @body
 * printed @times times with its index (for long lines, large files, many
 * sections), then @tail. A good file gives the directives @want (unless NULL) and, when
 * @format is given, that canonical file without secrets; every good file
 * also goes round parse -> format -> parse unchanged. A bad one fails with
 * errno @err on line @line with @want somewhere in the message.
 */
#ifndef MPROX_CONF_TEST_CASES_H
#define MPROX_CONF_TEST_CASES_H

#include <errno.h>
#include <stddef.h>

struct conf_case {
	const char *desc;
	const char *text;
	size_t len; /* of @text; 0: strlen() */
	const char *body; /* printf format with one %u, or none */
	unsigned int times;
	const char *tail;
	int err; /* 0: the file is good */
	unsigned int line;
	const char *want;
	const char *format;
};

#define OK(d, t, w)                             \
	{                                       \
		.desc = d, .text = t, .want = w \
	}
#define BAD(d, t, e, l, w)                                           \
	{                                                            \
		.desc = d, .text = t, .err = e, .line = l, .want = w \
	}
/* A bad value of @key in an [Upstream a] section, on line 3. */
#define BAD_UP(d, key, e, w) BAD(d, "[Upstream a]\nURL = socks5://h\n" key "\n", e, 3, w)
/* A bad URL in an [Upstream a] section, on line 2. */
#define BAD_URL(d, url, e, w) BAD(d, "[Upstream a]\nURL = " url "\n", e, 2, w)

#define FULL_EXAMPLE                                              \
	"# /etc/mprox/mprox0.conf\n"                              \
	"[Device]\n"                                              \
	"FwMark = 0x51\n"                                         \
	"Set = max_flows 4096\n"                                  \
	"Set = connect_timeout_ms 5000   # five seconds\n"        \
	"\n"                                                      \
	"[Upstream tokyo]\n"                                      \
	"URL = socks5h://alice:s%40cret@proxy.example.com:1080\n" \
	"Priority = 1\n"                                          \
	"Weight = 10\n"                                           \
	"Dev = eth0\n"                                            \
	"\n"                                                      \
	"[Upstream backup.2]\n"                                   \
	"URL = http://[2001:db8::1]:3128/\n"                      \
	"\n"                                                      \
	"[Route]\n"                                               \
	"Uid = 1000-1999\n"                                       \
	"Gid = 100\n"                                             \
	"Cgroup = /user.slice/app.slice\n"                        \
	"FwMark = 0x10/0xff\n"                                    \
	"All = off\n"                                             \
	"Exclude = 10.0.0.0/8\n"                                  \
	"Exclude = 2001:0db8::/32\n"                              \
	"\n"                                                      \
	"[Rule]\n"                                                \
	"rule dport 443 via tokyo\n"                              \
	"\n"                                                      \
	"[DNS]\n"                                                 \
	"dns server 1.1.1.1\n"

static const struct conf_case conf_cases[] = {
	/* ---- good files ---- */
	OK("empty file", "", ""),
	OK("comments and blank lines only", "# a comment\n\n   \t\n  # another\n", ""),
	{ .desc = "full example: every section and key",
	  .text = FULL_EXAMPLE,
	  .want = "fwmark 81\n"
		  "set max_flows 4096\n"
		  "set connect_timeout_ms 5000\n"
		  "upstream add tokyo socks5h://alice:s%40cret@proxy.example.com:1080 "
		  "weight 10 dev eth0 priority 1\n"
		  "upstream add backup.2 http://[2001:db8::1]:3128/\n"
		  "rule dport 443 via tokyo\n"
		  "dns server 1.1.1.1\n",
	  .format = "[Device]\n"
		    "FwMark = 0x51\n"
		    "Set = max_flows 4096\n"
		    "Set = connect_timeout_ms 5000\n"
		    "\n"
		    "[Upstream tokyo]\n"
		    "URL = socks5h://alice@proxy.example.com:1080\n"
		    "Priority = 1\n"
		    "Weight = 10\n"
		    "Dev = eth0\n"
		    "\n"
		    "[Upstream backup.2]\n"
		    "URL = http://[2001:db8::1]:3128/\n"
		    "\n"
		    "[Route]\n"
		    "Uid = 1000-1999\n"
		    "Gid = 100\n"
		    "Cgroup = /user.slice/app.slice\n"
		    "FwMark = 0x10/0xff\n"
		    "All = no\n"
		    "Exclude = 10.0.0.0/8\n"
		    "Exclude = 2001:db8::/32\n"
		    "\n"
		    "[Rule]\n"
		    "rule dport 443 via tokyo\n"
		    "\n"
		    "[DNS]\n"
		    "dns server 1.1.1.1\n" },
	OK("keys and section keywords in any case", "[dEVICE]\nfwmark=0X1f\nSET = Max_Flows 10\n",
	   "fwmark 31\nset max_flows 10\n"),
	OK("CRLF line endings, no newline at the end",
	   "[Device]\r\nFwMark = 7\r\n\r\nSet = spare_conns 2", "fwmark 7\nset spare_conns 2\n"),
	OK("largest fwmark", "[Device]\nFwMark = 0xffffffff\n", "fwmark 4294967295\n"),
	OK("every tunable at its minimum",
	   "[Device]\nSet = connect_timeout_ms 100\nSet = handshake_timeout_ms 100\n"
	   "Set = tcp_idle_timeout_s 10\nSet = udp_idle_timeout_s 5\nSet = max_flows 1\n"
	   "Set = spare_conns 0\nSet = spare_idle_s 1\nSet = dns_ttl_s 1\n",
	   "set connect_timeout_ms 100\nset handshake_timeout_ms 100\nset tcp_idle_timeout_s 10\n"
	   "set udp_idle_timeout_s 5\nset max_flows 1\nset spare_conns 0\nset spare_idle_s 1\n"
	   "set dns_ttl_s 1\n"),
	OK("every tunable at its maximum",
	   "[Device]\nSet = connect_timeout_ms 300000\nSet = handshake_timeout_ms 300000\n"
	   "Set = tcp_idle_timeout_s 604800\nSet = udp_idle_timeout_s 86400\n"
	   "Set = max_flows 1048576\nSet = spare_conns 16\nSet = spare_idle_s 3600\n"
	   "Set = dns_ttl_s 3600\n",
	   "set connect_timeout_ms 300000\nset handshake_timeout_ms 300000\n"
	   "set tcp_idle_timeout_s 604800\nset udp_idle_timeout_s 86400\nset max_flows 1048576\n"
	   "set spare_conns 16\nset spare_idle_s 3600\nset dns_ttl_s 3600\n"),
	{ .desc = "Set = balance, a word",
	  .text = "[Device]\nSet = balance least-connections\n",
	  .want = "set balance least-connections\n",
	  .format = "[Device]\nSet = balance least-connections\n" },
	OK("Set = balance round-robin", "[Device]\nSet = Balance round-robin\n",
	   "set balance round-robin\n"),
	{ .desc = "Set = probe_target, after the tunables",
	  .text = "[Device]\nSet = probe_target [fd00::1]:80\nSet = probe_interval_s 5\n",
	  .want = "set probe_interval_s 5\nset probe_target [fd00::1]:80\n",
	  .format = "[Device]\nSet = probe_interval_s 5\nSet = probe_target [fd00::1]:80\n" },
	OK("Set = probe_target none", "[Device]\nSet = probe_target none\n",
	   "set probe_target none\n"),
	OK("Set = probe_target, a long one the driver takes",
	   "[Device]\nSet = probe_target [ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535\n",
	   "set probe_target [ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535\n"),
	OK("Set = probe_target of 63 bytes, the longest",
	   "[Device]\nSet = probe_target "
	   "[0000:0000:0000:0000:0000:0000:0000:0001]:000000000000000000080\n",
	   "set probe_target [0000:0000:0000:0000:0000:0000:0000:0001]:000000000000000000080\n"),
	OK("URLs of every scheme and host kind",
	   "[Upstream a]\nURL = socks5://192.0.2.1\n[Upstream b]\nURL = SOCKS4://[::1]:9050\n"
	   "[Upstream c]\nURL = socks4a://u@proxy.example:1\n"
	   "[Upstream d]\nURL = http://u%3a:p%23w@h-1.example:65535/\n",
	   "upstream add a socks5://192.0.2.1\nupstream add b SOCKS4://[::1]:9050\n"
	   "upstream add c socks4a://u@proxy.example:1\n"
	   "upstream add d http://u%3a:p%23w@h-1.example:65535/\n"),
	{ .desc = "a password leaves format() without secrets",
	  .text = "[Upstream x]\nURL = socks5://u:p:q@h\nweight = 1000\n",
	  .want = "upstream add x socks5://u:p:q@h weight 1000\n",
	  .format = "[Upstream x]\nURL = socks5://u@h\nWeight = 1000\n" },
	OK("Priority 0 is emitted, unset is not",
	   "[Upstream a]\nURL = socks5://h\nPriority = 0\n[Upstream b]\nURL = socks5://h\n",
	   "upstream add a socks5://h priority 0\nupstream add b socks5://h\n"),
	OK("longest names",
	   "[Upstream abcdefghijklmnopqrstuvwxyz_.-12]\nURL = socks5://h\nDev = abcdefghijklmno\n",
	   "upstream add abcdefghijklmnopqrstuvwxyz_.-12 socks5://h dev abcdefghijklmno\n"),
	{ .desc = "64 upstreams", .body = "[Upstream u%u]\nURL = socks5://h\n", .times = 64 },
	OK("[Rule] and [DNS] lines kept as written, comments and blanks dropped",
	   "[Rule]\n  rule a   b\t# why\n\n[DNS]\ndns x\ndns y\n", "rule a   b\ndns x\ndns y\n"),
	{ .desc = "[Set] lines go before [Rule] ones, whatever the file's order",
	  .text = "[Rule]\nrule add to-set lan direct\n[Set]\nset  add lan 10.0.0.0/8\n"
		  "set add lan 192.168.0.0/16 # home\n",
	  .want = "set  add lan 10.0.0.0/8\nset add lan 192.168.0.0/16\nrule add to-set lan "
		  "direct\n",
	  .format = "[Set]\nset  add lan 10.0.0.0/8\nset add lan 192.168.0.0/16\n\n"
		    "[Rule]\nrule add to-set lan direct\n" },
	{ .desc = "a line of 2048 bytes", .text = "[Device]\n#", .body = "x", .times = 2047 },
	{ .desc = "route values in other forms",
	  .text = "[Route]\nUid = 0\nFwMark = 1\nAll = TRUE\nExclude = ::1\nExclude = 0.0.0.0/0\n",
	  .want = "",
	  .format = "[Route]\nUid = 0\nFwMark = 0x1\nAll = yes\nExclude = ::1/128\n"
		    "Exclude = 0.0.0.0/0\n" },
	{ .desc = "KillSwitch, before the selector and after",
	  .text = "[Route]\nKillSwitch = On\nUid = 1000-1999\n",
	  .want = "",
	  .format = "[Route]\nUid = 1000-1999\nKillSwitch = yes\n" },
	{ .desc = "Cgroup with systemd's escape, a backslash, kept as written",
	  .text = "[Route]\nCgroup = /system.slice/system-wg\\x2dquick.slice\n",
	  .want = "",
	  .format = "[Route]\nCgroup = /system.slice/system-wg\\x2dquick.slice\n" },
	{ .desc = "KillSwitch = no is kept",
	  .text = "[Route]\nAll = 1\nkillswitch = FALSE\n",
	  .want = "",
	  .format = "[Route]\nAll = yes\nKillSwitch = no\n" },

	BAD("Set = balance, a number", "[Device]\nSet = balance 1\n", EINVAL, 2,
	    "'1' is none of weighted, round-robin or least-connections"),
	BAD("Set = balance, a word it does not take", "[Device]\nSet = balance random\n", EINVAL, 2,
	    "Set: balance: 'random' is none of"),
	BAD("Set = probe_target without a port", "[Device]\nSet = probe_target 10.0.0.1\n", EINVAL,
	    2, "probe_target '10.0.0.1': want ADDR:PORT, [ADDR6]:PORT or none"),
	BAD("Set = probe_target port 0", "[Device]\nSet = probe_target 10.0.0.1:0\n", ERANGE, 2,
	    "(port 1-65535)"),
	BAD("Set = probe_target twice",
	    "[Device]\nSet = probe_target none\nSet = probe_target 10.0.0.1:1\n", EINVAL, 3,
	    "probe_target set twice (first at line 2)"),
	BAD("Set = probe_target too long",
	    "[Device]\nSet = probe_target "
	    "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:00000000000065535\n",
	    EINVAL, 2, "want ADDR:PORT"),

	/* ---- structure ---- */
	BAD("key outside any section", "# top\nFwMark = 1\n", EINVAL, 2, "outside any section"),
	BAD("unknown section", "[Peer]\n", EINVAL, 1, "unknown section [Peer]"),
	BAD("misspelt section", "[Devcie]\n", EINVAL, 1, "(did you mean Device?)"),
	BAD("no ']'", "[Device\n", EINVAL, 1, "no ']'"),
	BAD("duplicate [Device]", "[Device]\nFwMark = 1\n[device]\n", EINVAL, 3,
	    "duplicate section [Device] (first at line 1)"),
	BAD("duplicate [Upstream a]", "[Upstream a]\nURL = socks5://h\n\n[Upstream a]\n", EINVAL, 4,
	    "duplicate section [Upstream a] (first at line 1)"),
	BAD("duplicate [Rule]", "[Rule]\n[DNS]\n[Rule]\n", EINVAL, 3, "duplicate section [Rule]"),
	BAD("[Upstream] without a name", "[Upstream]\n", EINVAL, 1, "needs a name"),
	BAD("[Device] with a name", "[Device x]\n", EINVAL, 1, "takes no name"),
	BAD("bad upstream name", "[Upstream a/b]\n", EINVAL, 1, "1-31 of"),
	BAD("upstream name of 32", "[Upstream abcdefghijklmnopqrstuvwxyz_.-123]\n", ENAMETOOLONG, 1,
	    "1-31 of"),
	BAD("upstream without URL, before the next section",
	    "[Upstream a]\nWeight = 2\n[Upstream b]\nURL = socks5://h\n", EINVAL, 1,
	    "[Upstream a] has no URL"),
	BAD("upstream without URL, before a bad header", "[Device]\n[Upstream a]\n[Device]\n",
	    EINVAL, 2, "[Upstream a] has no URL"),
	BAD("upstream without URL at the end", "[Device]\n\n[Upstream last]\n# nothing\n", EINVAL,
	    3, "[Upstream last] has no URL"),
	{ .desc = "65 upstreams",
	  .body = "[Upstream u%u]\nURL = socks5://h\n",
	  .times = 65,
	  .err = E2BIG,
	  .line = 129,
	  .want = "more than 64 upstreams" },
	BAD("[Rule] line that is not a rule", "[Rule]\nfwmark 1\n", EINVAL, 2,
	    "[Rule] holds 'rule ...' directives"),
	BAD("[Set] line that is a tunable", "[Set]\nset balance weighted\n", EINVAL, 2,
	    "[Set] holds 'set add ...' directives, not 'set balance weighted'"),
	BAD("[Set] line that flushes", "[Set]\nset flush lan\n", EINVAL, 2,
	    "[Set] holds 'set add ...' directives"),
	BAD("[DNS] line that is not dns", "[DNS]\nDns x\n", EINVAL, 2, "'dns ...'"),

	/* ---- lines ---- */
	BAD("missing '='", "[Device]\nFwMark 1\n", EINVAL, 2, "missing '='"),
	BAD("missing key", "[Device]\n = 1\n", EINVAL, 2, "missing key"),
	BAD_UP("empty value", "Weight =   # none", EINVAL, "Weight: empty value"),
	BAD("misspelt key", "[Upstream a]\nURL = socks5://h\nWieght = 2\n", EINVAL, 3,
	    "unknown key 'Wieght' in [Upstream NAME] (did you mean Weight?)"),
	BAD("unknown key, nothing close", "[Device]\nFrobnicate = 1\n", EINVAL, 2,
	    "unknown key 'Frobnicate' in [Device]"),
	BAD("key of another section", "[Device]\nweight = 1\n", EINVAL, 2,
	    "Weight is not a key of [Device] but of [Upstream NAME]"),
	BAD("key repeated", "[Upstream a]\nURL = socks5://h\nWeight = 1\nWEIGHT = 2\n", EINVAL, 4,
	    "Weight given twice (first at line 3)"),
	BAD("URL repeated", "[Upstream a]\nURL = socks5://h\nURL = socks5://h\n", EINVAL, 3,
	    "URL given twice"),
	BAD("FwMark repeated", "[Device]\nFwMark = 1\nFwMark = 1\n", EINVAL, 3, "given twice"),
	BAD("Set of one tunable twice", "[Device]\nSet = max_flows 1\nSet = MAX_FLOWS 2\n", EINVAL,
	    3, "Set: max_flows set twice (first at line 2)"),
	{ .desc = "a line of 2049 bytes",
	  .text = "[Device]\n#",
	  .body = "x",
	  .times = 2048,
	  .err = E2BIG,
	  .line = 2,
	  .want = "line longer than 2048 bytes" },
	{ .desc = "NUL byte",
	  .text = "[Device]\nFwMark = 1 # \0\n",
	  .len = 24,
	  .err = EINVAL,
	  .line = 2,
	  .want = "NUL byte" },
	BAD("control character", "[Device]\nFwMark = \x01\n", EINVAL, 2, "control character 0x01"),
	{ .desc = "file larger than 1 MiB",
	  .body = "\n",
	  .times = 1024 * 1024 + 1,
	  .err = E2BIG,
	  .line = 0,
	  .want = "larger than 1048576 bytes" },

	/* ---- [Route] values "mprox route" would refuse: before a reload changes anything ---- */
	BAD("[Route] FwMark 0", "[Route]\nFwMark = 0\n", ERANGE, 2,
	    "FwMark: 0 is out of range 1-0xffffffff"),
	BAD("[Route] FwMark outside its mask", "[Route]\nFwMark = 0x3/0x1\n", EINVAL, 2,
	    "FwMark: mark 0x3 has bits outside mask 0x1"),
	{ .desc = "64 Exclude lines",
	  .text = "[Route]\nAll = yes\n",
	  .body = "Exclude = 10.%u.0.0/16\n",
	  .times = 64,
	  .want = "" },
	{ .desc = "65 Exclude lines",
	  .text = "[Route]\nAll = yes\n",
	  .body = "Exclude = 10.%u.0.0/16\n",
	  .times = 65,
	  .err = E2BIG,
	  .line = 67,
	  .want = "more than 64 Exclude lines" },

	/* ---- [Device] values ---- */
	BAD("FwMark 0", "[Device]\nFwMark = 0\n", ERANGE, 2,
	    "FwMark: 0 is out of range 1-0xffffffff"),
	BAD("FwMark over 32 bits", "[Device]\nFwMark = 0x100000000\n", ERANGE, 2, "out of range"),
	BAD("FwMark past 64 bits", "[Device]\nFwMark = 99999999999999999999999\n", ERANGE, 2,
	    "out of range"),
	BAD("FwMark negative", "[Device]\nFwMark = -1\n", EINVAL, 2,
	    "FwMark: '-1' is not a number"),
	BAD("FwMark 0x alone", "[Device]\nFwMark = 0x\n", EINVAL, 2, "not a number"),
	BAD("Set without value", "[Device]\nSet = max_flows\n", EINVAL, 2, "Set: want KEY VALUE"),
	BAD("Set with an extra word", "[Device]\nSet = max_flows 1 2\n", EINVAL, 2,
	    "want KEY VALUE"),
	BAD("Set of a misspelt tunable", "[Device]\nSet = max_flow 10\n", EINVAL, 2,
	    "Set: unknown tunable 'max_flow' (did you mean max_flows?)"),
	BAD("Set out of range", "[Device]\nSet = max_flows 0\n", ERANGE, 2,
	    "Set: max_flows: 0 is out of range 1-1048576"),
	BAD("Set spare_conns 17", "[Device]\nSet = spare_conns 17\n", ERANGE, 2,
	    "out of range 0-16"),
	BAD("Set hex value", "[Device]\nSet = spare_conns 0x1\n", EINVAL, 2, "not a number"),

	/* ---- [Upstream] values ---- */
	BAD_UP("Weight 0", "Weight = 0", ERANGE, "Weight: 0 is out of range 1-1000"),
	BAD_UP("Weight 1001", "Weight = 1001", ERANGE, "Weight: 1001 is out of range 1-1000"),
	BAD_UP("Weight not a number", "Weight = ten", EINVAL, "Weight: 'ten' is not a number"),
	BAD_UP("Priority 256", "Priority = 256", ERANGE, "Priority: 256 is out of range 0-255"),
	BAD_UP("Dev with '/'", "Dev = eth/0", EINVAL, "Dev: 'eth/0' is not an interface name"),
	BAD_UP("Dev of 16", "Dev = abcdefghijklmnop", ENAMETOOLONG, "not an interface name"),
	BAD_UP("Dev '..'", "Dev = ..", EINVAL, "not an interface name"),
	BAD_UP("Dev with a blank", "Dev = eth 0", EINVAL, "not an interface name"),
	BAD_UP("Dev, a template", "Dev = eth%d", EINVAL, "not an interface name"),
	BAD_URL("URL without scheme", "proxy:1080", EINVAL, "no SCHEME://"),
	BAD_URL("URL of unknown scheme", "socks6://h", EINVAL, "unknown scheme 'socks6'"),
	BAD_URL("URL with a path", "http://h/x", EINVAL, "has a path"),
	BAD_URL("URL with a blank", "socks5://a b", EINVAL, "blank or non-ASCII"),
	BAD_URL("URL with empty user", "socks5://:p@h", EINVAL, "empty user name"),
	BAD_URL("URL with empty password", "socks5://u:@h", EINVAL, "empty password"),
	BAD_URL("URL with a bad escape", "socks5://u%zz@h", EINVAL, "bad user name"),
	BAD_URL("URL password with a control character", "socks5://u:%0a@h", EINVAL,
		"bad password"),
	BAD_URL("URL password with a raw '/'", "socks5://u:a/b@h", EINVAL, "has a path"),
	BAD_URL("URL without host", "socks5://", EINVAL, "no host"),
	BAD_URL("URL without host after user", "socks5://u@:1", EINVAL, "no host"),
	BAD_URL("URL with IPv6 unbracketed", "socks5://::1", EINVAL, "goes in brackets"),
	BAD_URL("URL with a bad host", "socks5://-h", EINVAL, "bad host '-h'"),
	BAD_URL("URL with an octal-looking address", "socks5://010.0.0.1", EINVAL, "bad host"),
	BAD_URL("URL with a bad IPv6 address", "socks5://[::g]", EINVAL,
		"bad IPv6 address '[::g]'"),
	BAD_URL("URL with an IPv6 zone", "socks5://[fe80::1%eth0]", EINVAL, "bad IPv6 address"),
	BAD_URL("URL without ']'", "socks5://[::1", EINVAL, "no ']'"),
	BAD_URL("URL with junk after ']'", "socks5://[::1]x", EINVAL, "'x' after ']'"),
	BAD_URL("URL with port 0", "socks5://h:0", ERANGE, "port 0 is out of range 1-65535"),
	BAD_URL("URL with port 65536", "socks5://h:65536", ERANGE, "out of range 1-65535"),
	BAD_URL("URL with a bad port", "socks5://h:http", EINVAL, "bad port 'http'"),
	BAD_URL("URL with a second '@' in the host", "socks5://u@h@g", EINVAL, "bad host 'h@g'"),
	BAD_URL("URL with a second '@' in the port", "socks5://u@h:1@g", EINVAL, "bad port '1@g'"),
	BAD_URL("URL with an empty port", "socks5://h:", EINVAL, "bad port ''"),
	BAD_URL("URL with '#' unescaped", "socks5://u:p#w@h", EINVAL, "bad port 'p'"),
	{ .desc = "URL with a user of 256 bytes",
	  .text = "[Upstream a]\nURL = socks5://",
	  .body = "%%41",
	  .times = 256,
	  .tail = "@h\n",
	  .err = ENAMETOOLONG,
	  .line = 2,
	  .want = "user name longer than 255 bytes" },
	{ .desc = "URL of 1025 bytes",
	  .text = "[Upstream a]\nURL = socks5://h:",
	  .body = "1",
	  .times = 1025 - 11,
	  .err = ENAMETOOLONG,
	  .line = 2,
	  .want = "URL: longer than 1024" },
	{ .desc = "URL with a host of 254 bytes",
	  .text = "[Upstream a]\nURL = socks5://",
	  .body = "a.",
	  .times = 127,
	  .err = ENAMETOOLONG,
	  .line = 2,
	  .want = "host name longer than 253" },

	/* ---- [Route] values ---- */
	BAD("Uid range backwards", "[Route]\nUid = 5-3\n", ERANGE, 2, "Uid: 5-3 is an empty range"),
	BAD("Uid -1", "[Route]\nUid = 4294967295\n", ERANGE, 2, "out of range 0-4294967294"),
	BAD("Uid not a number", "[Route]\nUid = root\n", EINVAL, 2, "Uid: 'root' is not a number"),
	BAD("Uid range without end", "[Route]\nUid = 5-\n", EINVAL, 2, "Uid: '' is not a number"),
	BAD("Gid not a number", "[Route]\nGid = 1-2\n", EINVAL, 2, "Gid: '1-2' is not a number"),
	BAD("Cgroup relative", "[Route]\nCgroup = user.slice\n", EINVAL, 2,
	    "Cgroup: 'user.slice' is not an absolute path"),
	/* What mprox route --cgroup refuses fails here too. */
	BAD("Cgroup the root", "[Route]\nCgroup = /\n", EINVAL, 2,
	    "Cgroup: '/' is not a cgroup mprox can route"),
	BAD("Cgroup ..", "[Route]\nCgroup = /user.slice/../system.slice\n", EINVAL, 2,
	    "is not a cgroup mprox can route"),
	BAD("Cgroup with a quote", "[Route]\nCgroup = /a\"b\n", EINVAL, 2,
	    "is not a cgroup mprox can route"),
	BAD("Cgroup with //", "[Route]\nCgroup = /a//b\n", EINVAL, 2,
	    "is not a cgroup mprox can route"),
	BAD("FwMark mask 0", "[Route]\nFwMark = 1/0\n", ERANGE, 2, "FwMark: 0 is out of range"),
	BAD("All maybe", "[Route]\nAll = maybe\n", EINVAL, 2, "All: 'maybe' is not yes, no"),
	BAD("Exclude not an address", "[Route]\nExclude = example.com/8\n", EINVAL, 2,
	    "Exclude: 'example.com' is not an IPv4 or IPv6 address"),
	BAD("Exclude longer than any address",
	    "[Route]\nExclude = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/0\n", EINVAL, 2,
	    "Exclude: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not an IPv4 or IPv6"),
	BAD("Exclude prefix 33", "[Route]\nExclude = 10.0.0.0/33\n", ERANGE, 2,
	    "Exclude: 33 is out of range 0-32"),
	BAD("Exclude with host bits", "[Route]\nExclude = 10.0.0.1/8\n", EINVAL, 2,
	    "Exclude: 10.0.0.1/8 has host bits set past /8: did you mean 10.0.0.0/8?"),
	BAD("Exclude prefix with a leading zero", "[Route]\nExclude = 10.0.0.0/08\n", EINVAL, 2,
	    "Exclude: '08' is not a prefix length"),
	BAD("Exclude IPv6 prefix 129", "[Route]\nExclude = ::/129\n", ERANGE, 2,
	    "Exclude: 129 is out of range 0-128"),
	BAD("Exclude IPv6 with host bits", "[Route]\nExclude = 2001:db8::1/64\n", EINVAL, 2,
	    "host bits"),
	BAD("Exclude twice", "[Route]\nAll = yes\nExclude = 10.0.0.0/8\nExclude = 10.0.0.0/8\n",
	    EINVAL, 4, "Exclude: 10.0.0.0/8 given twice"),
	BAD("Exclude twice, spelt two ways",
	    "[Route]\nAll = yes\nExclude = 2001:db8::/32\nExclude = 2001:0db8:0::/32\n", EINVAL, 4,
	    "given twice"),
	/* mprox route needs something to route: Exclude alone is nothing. */
	BAD("Exclude alone", "# a comment\n[Route]\nExclude = 10.0.0.0/8\n", EINVAL, 2,
	    "[Route] has Exclude but routes nothing"),
	BAD("Exclude with All = no", "[Route]\nAll = no\nExclude = ::1\n", EINVAL, 1,
	    "[Route] has Exclude but routes nothing"),
	/* Nor is a kill switch alone: nothing would be kept from going direct. */
	BAD("KillSwitch alone", "[Route]\nKillSwitch = yes\n", EINVAL, 1,
	    "[Route] has KillSwitch = yes but routes nothing"),
	BAD("KillSwitch maybe", "[Route]\nUid = 1\nKillSwitch = maybe\n", EINVAL, 3,
	    "KillSwitch: 'maybe' is not yes, no"),
	BAD("KillSwitch twice", "[Route]\nUid = 1\nKillSwitch = yes\nKillSwitch = no\n", EINVAL, 4,
	    "KillSwitch"),
	BAD("first error wins", "[Device]\nFwMark = 0\nbogus\n", ERANGE, 2, "FwMark"),
};

#endif /* MPROX_CONF_TEST_CASES_H */
