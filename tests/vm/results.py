#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one VM run from what the guest reported.

Reads the report-port log written by guest-run.sh (and the console log, for
guests that never finished), counts TAP/KTAP results, and fails the run on a
missing or failed case, a guest that did not finish, and any kernel report
(WARN, BUG, Oops, KASAN, UBSAN, lockdep, RCU, hung task, debugobjects,
kmemleak). Prints the offending log lines and one summary line; writes
"passed failed skipped" to --counts.
"""

import argparse
import re
import sys

# A line that starts one of these is a kernel report; the lines after it
# (its stack trace) are printed with it.
KERNEL_REPORT = re.compile(
    r"(WARNING:|BUG:|BUG kmalloc|kernel BUG at|Oops|general protection fault|"
    r"UBSAN:|KASAN:|Kernel panic|INFO: task .* blocked for more than|"
    r"rcu: INFO:|ODEBUG:|unreferenced object|"
    r"possible circular locking|possible recursive locking|"
    r"suspicious RCU usage|Call Trace:)"
)
# Kernel log lines start with a timestamp; drop it for readability.
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
TAP_RESULT = re.compile(r"^(\s*)(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*)$")
# "1..0 # SKIP reason": the whole case cannot run on this kernel.
SKIP_ALL = re.compile(r"^1\.\.0\s*#\s*SKIP\b\s*(.*)$", re.IGNORECASE)
CONTEXT_LINES = 40


class Case:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rc = None
        self.secs = None


def parse_report(text):
    """Split the report log into cases, kmemleak and kmsg sections."""
    cases, order = {}, []
    kmemleak, kmsg, done = [], [], False
    section, current = None, None
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("@@mprox "):
            words = line.split()
            what = words[1] if len(words) > 1 else ""
            if what == "case" and len(words) == 3:
                current = Case(words[2])
                cases[current.name] = current
                order.append(current.name)
                section = "case"
            elif what == "end" and len(words) in (4, 5) and words[2] in cases:
                try:
                    cases[words[2]].rc = int(words[3])
                except ValueError:
                    cases[words[2]].rc = -1
                if len(words) == 5 and words[4].isdigit():
                    cases[words[2]].secs = int(words[4])
                section = None
            elif what == "kmemleak":
                section = "kmemleak"
            elif what == "kmsg":
                section = "kmsg"
            elif what == "done":
                done = True
                section = None
            continue
        if section == "case":
            current.lines.append(line)
        elif section == "kmemleak":
            kmemleak.append(line)
        elif section == "kmsg":
            kmsg.append(line)
    return cases, order, kmemleak, kmsg, done


def tap_results(lines):
    """Return [(ok, skipped, description)] for every leaf test point.

    KTAP nests suites: a result line that follows deeper-indented results
    is the summary of its subtests and is not counted again.
    """
    results = []
    deepest_since = -1
    for line in lines:
        m = TAP_RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1).expandtabs(8))
        is_summary = deepest_since > indent
        deepest_since = indent if is_summary else max(deepest_since, indent)
        if is_summary:
            continue
        desc = m.group(4)
        skipped = "# SKIP" in desc.upper()
        results.append((m.group(2) == "ok", skipped, desc))
    return results


def kernel_reports(lines):
    """Return blocks of log lines around every kernel report."""
    blocks, i = [], 0
    clean = [TIMESTAMP.sub("", line) for line in lines]
    while i < len(clean):
        if KERNEL_REPORT.search(clean[i]):
            blocks.append(clean[i : i + CONTEXT_LINES])
            i += CONTEXT_LINES
        else:
            i += 1
    return blocks


def judge(report_text, console_text, expected, flavour, out=sys.stdout):
    cases, order, kmemleak, kmsg, done = parse_report(report_text)
    passed = failed = skipped = 0

    def fail(msg):
        nonlocal failed
        failed += 1
        print(f"not ok - [{flavour}] {msg}", file=out)

    for name in expected:
        case = cases.get(name)
        if case is None:
            fail(f"{name}: no result (guest crashed, hung or timed out)")
            continue
        skip_all = [m for m in map(SKIP_ALL.match, case.lines) if m]
        if skip_all and case.rc == 0:
            skipped += 1
            print(f"ok - [{flavour}] {name} # SKIP {skip_all[0].group(1)}", file=out)
            continue
        results = tap_results(case.lines)
        case_failed = False
        for ok, skip, desc in results:
            if skip:
                skipped += 1
                print(f"ok - [{flavour}] {name}: {desc}", file=out)
            elif ok:
                passed += 1
            else:
                case_failed = True
                fail(f"{name}: {desc}")
        if not results:
            case_failed = True
            fail(f"{name}: printed no test results")
        elif case.rc is None:
            case_failed = True
            fail(f"{name}: did not finish")
        elif case.rc != 0 and not case_failed:
            case_failed = True
            fail(f"{name}: exited with status {case.rc}")
        if case_failed:
            print(f"# output of {name}:", file=out)
            for line in case.lines:
                print(f"#   {line}", file=out)
    for name in order:
        if name not in expected:
            fail(f"{name}: reported but never requested")

    if not done:
        fail("guest did not finish its run")

    log = kmsg if done else console_text.splitlines()
    blocks = kernel_reports(log)
    leaks = [line for line in kmemleak if line.strip()]
    if leaks:
        blocks.append(leaks[:CONTEXT_LINES])
    if blocks:
        fail(f"kernel log has {len(blocks)} report(s)")
        for block in blocks:
            print("# ---- kernel log ----", file=out)
            for line in block:
                print(f"#   {line}", file=out)
    else:
        passed += 1

    # Where a suite's time goes, longest first: what to look at when
    # make check nears its hour.
    timed = sorted(
        (c for c in cases.values() if c.secs is not None), key=lambda c: -c.secs
    )
    if timed:
        print(
            f"# [{flavour}] case times: "
            + ", ".join(f"{c.name} {c.secs}s" for c in timed),
            file=out,
        )

    summary = f"vm({flavour}): {passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary, file=out)
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--report", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--flavour", required=True)
    ap.add_argument("--counts", required=True)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()

    def read(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    passed, failed, skipped = judge(
        read(args.report), read(args.console), args.cases, args.flavour
    )
    with open(args.counts, "w", encoding="utf-8") as f:
        f.write(f"{passed} {failed} {skipped}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
