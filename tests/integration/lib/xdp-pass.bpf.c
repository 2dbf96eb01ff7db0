// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest XDP program: pass every packet. tcp-relay-memory.sh attaches
 * it to the client's veth (c0), not for what it does but for what it makes
 * veth do: with a native XDP program, veth_xdp_rcv_skb() copies each
 * received packet that still shares the sender's memory into a page of its
 * own, as a real NIC's receive ring would have it. Built at test time with
 * "clang -O2 -target bpf -c"; no libbpf headers needed.
 */
__attribute__((section("xdp"), used)) int xdp_pass(void *ctx)
{
	return 2; /* XDP_PASS */
}

char _license[] __attribute__((section("license"), used)) = "GPL";
