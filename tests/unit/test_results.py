# SPDX-License-Identifier: GPL-2.0
"""The VM harness's judge must fail a run for every reason it promises to."""

import io
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "vm"))
import results  # noqa: E402


def report(*cases, kmemleak="", kmsg="", done=True):
    out = []
    for name, lines, rc in cases:
        out.append(f"@@mprox case {name}")
        out.extend(lines)
        if rc is not None:
            out.append(f"@@mprox end {name} {rc}")
    out.append("@@mprox kmemleak")
    out.extend(kmemleak.splitlines())
    out.append("@@mprox kmsg")
    out.extend(kmsg.splitlines())
    if done:
        out.append("@@mprox done")
    return "\n".join(out) + "\n"


CLEAN_LOG = "[    1.000000] mprox: mprox v0 loaded\n[    2.0] reboot: machine restart\n"
WARN_LOG = """[   10.000000] mprox: mprox v0 loaded
[   10.100000] ------------[ cut here ]------------
[   10.100001] WARNING: CPU: 0 PID: 77 at driver/main.c:20 mprox_mod_init+0x1/0x2 [mprox]
[   10.100002] Call Trace:
"""


def judge(text, expected, console=""):
    out = io.StringIO()
    counts = results.judge(text, console, expected, "test", out=out)
    return counts, out.getvalue()


class Judge(unittest.TestCase):
    def test_clean_run_passes(self):
        text = report(("a", ["1..2", "ok 1 - x", "ok 2 - y"], 0), kmsg=CLEAN_LOG)
        (p, f, s), _ = judge(text, ["a"])
        self.assertEqual((p, f, s), (3, 0, 0))  # two tests + clean log

    def test_failed_test_point_fails(self):
        text = report(("a", ["1..2", "ok 1 - x", "not ok 2 - y"], 1), kmsg=CLEAN_LOG)
        (p, f, _), out = judge(text, ["a"])
        self.assertEqual((p, f), (2, 1))
        self.assertIn("a: y", out)

    def test_nonzero_exit_without_failed_point_fails(self):
        text = report(("a", ["1..1", "ok 1 - x"], 3), kmsg=CLEAN_LOG)
        (_, f, _), out = judge(text, ["a"])
        self.assertEqual(f, 1)
        self.assertIn("exited with status 3", out)

    def test_missing_case_fails(self):
        text = report(("a", ["1..1", "ok 1 - x"], 0), kmsg=CLEAN_LOG)
        (_, f, _), out = judge(text, ["a", "b"])
        self.assertEqual(f, 1)
        self.assertIn("b: no result", out)

    def test_case_without_results_fails(self):
        text = report(("a", ["hello"], 0), kmsg=CLEAN_LOG)
        (_, f, _), _ = judge(text, ["a"])
        self.assertEqual(f, 1)

    def test_unfinished_case_fails(self):
        text = report(("a", ["1..2", "ok 1 - x"], None), kmsg=CLEAN_LOG)
        (_, f, _), out = judge(text, ["a"])
        self.assertEqual(f, 1)
        self.assertIn("did not finish", out)

    def test_whole_case_skip_counts_as_skip(self):
        text = report(("k", ["1..0 # SKIP no KUnit"], 0), kmsg=CLEAN_LOG)
        (p, f, s), _ = judge(text, ["k"])
        self.assertEqual((p, f, s), (1, 0, 1))

    def test_warn_in_kernel_log_fails_and_is_shown(self):
        text = report(("a", ["1..1", "ok 1 - x"], 0), kmsg=WARN_LOG)
        (_, f, _), out = judge(text, ["a"])
        self.assertEqual(f, 1)
        self.assertIn("WARNING: CPU: 0 PID: 77 at driver/main.c:20", out)

    def test_kmemleak_report_fails(self):
        leak = "unreferenced object 0xffff888003 (size 64):\n  comm \"insmod\""
        text = report(("a", ["1..1", "ok 1 - x"], 0), kmemleak=leak, kmsg=CLEAN_LOG)
        (_, f, _), out = judge(text, ["a"])
        self.assertEqual(f, 1)
        self.assertIn("unreferenced object", out)

    def test_crashed_guest_fails_with_console_log(self):
        text = report(("a", ["1..1"], None), done=False)
        console = "[ 5.0] BUG: KASAN: slab-out-of-bounds in mprox_xmit\n"
        (_, f, _), out = judge(text, ["a"], console=console)
        self.assertGreaterEqual(f, 2)  # the case and the guest
        self.assertIn("guest did not finish", out)
        self.assertIn("BUG: KASAN: slab-out-of-bounds", out)

    def test_ktap_counts_leaves_not_suites(self):
        ktap = [
            "KTAP version 1",
            "1..1",
            "    KTAP version 1",
            "    # Subtest: mprox_url",
            "    1..3",
            "    ok 1 parses_socks5",
            "    not ok 2 rejects_overlong_host",
            "    ok 3 skipped_one # SKIP not here",
            "not ok 1 mprox_url",
        ]
        text = report(("kunit", ktap, 0), kmsg=CLEAN_LOG)
        (p, f, s), out = judge(text, ["kunit"])
        self.assertEqual((p, f, s), (2, 1, 1))  # parses + clean log; one fail
        self.assertIn("rejects_overlong_host", out)

    def test_unrequested_case_fails(self):
        text = report(("a", ["1..1", "ok 1"], 0), ("z", ["1..1", "ok 1"], 0), kmsg=CLEAN_LOG)
        (_, f, _), _ = judge(text, ["a"])
        self.assertEqual(f, 1)

    def test_case_times_are_listed_longest_first(self):
        text = report(("a", ["1..1", "ok 1"], 0), ("b", ["1..1", "ok 1"], 0), kmsg=CLEAN_LOG)
        text = text.replace("@@mprox end a 0", "@@mprox end a 0 7")
        text = text.replace("@@mprox end b 0", "@@mprox end b 0 93")
        (p, f, _), out = judge(text, ["a", "b"])
        self.assertEqual((p, f), (3, 0))
        self.assertIn("# [test] case times: b 93s, a 7s", out)


if __name__ == "__main__":
    unittest.main()
