/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit suites of mprox-test.ko, each defined beside the runner of its
 * cases and registered together in kunit_suites.c.
 */
#ifndef _MPROX_KUNIT_SUITES_H
#define _MPROX_KUNIT_SUITES_H

#include <kunit/test.h>

extern struct kunit_suite mprox_parse_test_suite;
extern struct kunit_suite mprox_socks5_test_suite;
extern struct kunit_suite mprox_http_test_suite;
extern struct kunit_suite mprox_socks4_test_suite;
extern struct kunit_suite mprox_dest_test_suite;
extern struct kunit_suite mprox_socks5_udp_test_suite;
extern struct kunit_suite mprox_dns_test_suite;
extern struct kunit_suite mprox_choice_test_suite;
extern struct kunit_suite mprox_choice_bench_suite;
extern struct kunit_suite mprox_rule_test_suite;
extern struct kunit_suite mprox_packet_test_suite;
extern struct kunit_suite mprox_flow_test_suite;
extern struct kunit_suite mprox_reply_test_suite;
extern struct kunit_suite mprox_fakeip_test_suite;
extern struct kunit_suite mprox_listener_test_suite;

#endif /* _MPROX_KUNIT_SUITES_H */
