// SPDX-License-Identifier: GPL-2.0
/*
 * mprox-test.ko: the driver's KUnit suites, run when the module loads.
 *
 * They are registered here, in one kunit_test_suites() for the whole
 * module, not one per file: up to 5.19 the macro expands to the module's
 * module_init() and module_exit() when built as a module, so a second use
 * in the same module defines init_module twice and does not link (6.0 and
 * later only add to a section, where either way works).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "kunit_suites.h"

kunit_test_suites(&mprox_parse_test_suite, &mprox_socks5_test_suite,
		  &mprox_socks4_test_suite, &mprox_http_test_suite,
		  &mprox_dest_test_suite, &mprox_socks5_udp_test_suite,
		  &mprox_dns_test_suite, &mprox_choice_test_suite,
		  &mprox_choice_bench_suite, &mprox_rule_test_suite,
		  &mprox_packet_test_suite,
		  &mprox_flow_test_suite, &mprox_reply_test_suite,
		  &mprox_fakeip_test_suite, &mprox_listener_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the mprox driver's parsers, protocol codecs, DNS messages, packet layer, flow table, fake-IP pools, choice of upstream and listener hook");
