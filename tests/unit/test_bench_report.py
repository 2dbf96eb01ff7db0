# SPDX-License-Identifier: GPL-2.0
"""make bench's host side (tests/bench/report.py) turns the guest's figures
into results.json and results.md, and refuses a transcript without them."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(__file__), "..", "bench", "report.py")

FIGURES = {
    "protos": ["socks5"],
    "modes": {
        "direct": {"down_1": 100.0},
        "app_socks5": {"down_1": 20.0, "p50": 4.0, "cpugb": 10.0},
        "mprox_socks5": {"down_1": 25.0, "p50": 5.0, "cpugb": 8.0},
        "redsocks_socks5": {"down_1": 10.0},
        "app_idle": {"idle1000": 10240.0, "idlesock1000": 4096.0},
        "mprox_idle": {"idle1000": 18432.0, "idlesock1000": 10240.0},
    },
    "verdicts": ["SOCKS5, microsocks: NOT MET: setup latency p50 1.250x > 1.1x"],
}


def run(text):
    out = tempfile.mkdtemp()
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(text)
    r = subprocess.run([sys.executable, REPORT, f.name, out], capture_output=True, text=True)
    os.unlink(f.name)
    return r, out


class BenchReport(unittest.TestCase):
    def test_figures_become_json_and_markdown(self):
        r, out = run("ok 1 - something\n# noise\nbenchjson " + json.dumps(FIGURES) + "\n1..1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "results.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["modes"], FIGURES["modes"])
        self.assertEqual(doc["verdicts"], FIGURES["verdicts"])
        self.assertIn("TCG", doc["note"])
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        # Each figure with its ratio to the application's own.
        self.assertIn("| download, 1 stream (MB/s) | 100.00 | 20.00 | 10.00 (0.50x) | 25.00 (1.25x) |",
                      md)
        self.assertIn("| setup latency p50 (ms) | - | 4.00 | - | 5.00 (1.25x) |", md)
        self.assertIn("- SOCKS5, microsocks: NOT MET", md)
        # Idle connections: what mprox0 adds, and the part beyond its sockets.
        self.assertIn("| 1000 | 10.0 | 18.0 | 8.0 | 6.0 | 2.0 |", md)

    def test_a_failed_measure_is_no_ratio(self):
        # A measure that failed writes 0: in a "lower is better" row it
        # must come out as no ratio, not a division by zero.
        figures = json.loads(json.dumps(FIGURES))
        figures["modes"]["mprox_socks5"]["p50"] = 0.0
        figures["modes"]["redsocks_socks5"]["down_1"] = 0.0
        r, out = run("benchjson " + json.dumps(figures) + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        self.assertNotIn("(0.00x)", md)

    def test_no_figures_is_an_error(self):
        r, out = run("ok 1 - something\nnot ok 2 - the bench died\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no figures", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "results.json")))


if __name__ == "__main__":
    unittest.main()
