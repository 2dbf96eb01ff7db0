#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's results on the host: tests/bench/report.py REPORT OUTDIR.

Reads the guest's transcript (REPORT, build/stock/run-bench/report.log),
takes the figures tests/bench/bench.sh printed on its "benchjson" line and
writes to OUTDIR:
  results.json  every figure by mode, the verdicts, and when and where
  results.md    per protocol, the figures of each mode and their ratio to
                the application speaking the protocol itself
  *.png         with gnuplot, per protocol: each mode's ratio to the
                application's own, one bar per metric
All absolute figures are from the emulated (TCG) guest; the ratios are
what the runs compare. Exits 1 when the transcript has no figures.
"""
import json
import os
import shutil
import subprocess
import sys
import time

ROWS = [  # key, label, unit, higher is better
    ("down_1", "download, 1 stream", "MB/s", True),
    ("up_1", "upload, 1 stream", "MB/s", True),
    ("down_4", "download, 4 streams", "MB/s", True),
    ("up_4", "upload, 4 streams", "MB/s", True),
    ("p50", "setup latency p50", "ms", False),
    ("p99", "setup latency p99", "ms", False),
    ("cps", "connections/s, 4 at a time", "1/s", True),
    ("rr50", "request/response p50", "ms", False),
    ("rr99", "request/response p99", "ms", False),
    ("cpugb", "CPU per GB moved", "s", False),
    ("cpu", "CPU per connection", "ms", False),
]
MODES = [  # prefix, title
    ("app", "the application itself"),
    ("pc", "proxychains4"),
    ("redsocks", "redsocks"),
    ("mprox", "mprox0"),
    ("spares", "mprox0 + spares"),
    ("base", "mprox0, base driver"),
    ("basespares", "mprox0 + spares, base driver"),
    ("rules", "mprox0, 10 rules + 4 upstreams"),
]
TITLES = {"socks5d": "SOCKS5 (dante)", "socks5": "SOCKS5 (microsocks)", "http": "HTTP CONNECT (tinyproxy)",
          "socks4": "SOCKS4 (dante)"}


def figures(report):
    doc = None
    with open(report, errors="replace") as f:
        for line in f:
            if line.startswith("benchjson "):
                doc = json.loads(line[len("benchjson "):])
    return doc


def fmt(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def markdown(doc):
    out = ["# make bench results", "",
           f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. Emulated (TCG) guest:"
           " absolute figures are the emulator's; compare the ratios, which are to the"
           " application speaking the protocol itself, in the same run.", ""]
    modes = doc["modes"]
    for p in doc["protos"]:
        present = [(m, t) for m, t in MODES if f"{m}_{p}" in modes]
        out += [f"## {TITLES.get(p, p)}", "",
                "| metric | direct | " + " | ".join(t for _, t in present) + " |",
                "|---|---:|" + "---:|" * len(present)]
        for key, label, unit, _ in ROWS:
            app = modes.get(f"app_{p}", {}).get(key)
            cells = [fmt(modes.get("direct", {}).get(key))]
            for m, _ in present:
                v = modes[f"{m}_{p}"].get(key)
                # A measure that failed wrote 0: no ratio to show.
                r = "" if m == "app" or not v or not app else f" ({v / app:.2f}x)"
                cells.append(fmt(v) + r)
            out.append(f"| {label} ({unit}) | " + " | ".join(cells) + " |")
        out.append("")
    if "mdirect" in modes and "direct" in modes:
        out += ["## No proxy: mprox0 going direct against direct routing", "",
                "mprox0's rule sends every flow direct: the driver connects to the server itself."
                " No proxy on either path, so the ratio is mprox0's own cost: its second TCP"
                " connection (the application's to the device's listener) and the relay.", "",
                "| metric | direct | mprox0 going direct |", "|---|---:|---:|"]
        for key, label, unit, _ in ROWS:
            d, m = modes["direct"].get(key), modes["mdirect"].get(key)
            r = "" if not m or not d else f" ({m / d:.2f}x)"
            out.append(f"| {label} ({unit}) | {fmt(d)} | {fmt(m)}{r} |")
        out.append("")
    idle = sorted(int(k[4:]) for k in modes.get("mprox_idle", {})
                  if k.startswith("idle") and k[4:].isdigit())
    if idle and "app_idle" in modes:
        out += ["## Kernel memory of idle connections (SOCKS5, dante)", "",
                "| connections | app (KiB each) | mprox0 (KiB each) | mprox0 - app |"
                " of it in TCP sockets | beyond the two sockets |",
                "|---:|---:|---:|---:|---:|---:|"]
        for n in idle:
            a, m = modes["app_idle"].get(f"idle{n}"), modes["mprox_idle"][f"idle{n}"]
            sa = modes["app_idle"].get(f"idlesock{n}")
            sm = modes["mprox_idle"].get(f"idlesock{n}")
            if a is None or sa is None or sm is None:
                continue
            out.append(f"| {n} | {fmt(a / 1024, 1)} | {fmt(m / 1024, 1)} | {fmt((m - a) / 1024, 1)}"
                       f" | {fmt((sm - sa) / 1024, 1)} | {fmt((m - a - sm + sa) / 1024, 1)} |")
        out.append("")
    out += ["## Verdicts", ""] + [f"- {v}" for v in doc["verdicts"]] + [""]
    return "\n".join(out)


def plot(doc, outdir):
    """One PNG per protocol: each mode's ratio to the application's own."""
    if not shutil.which("gnuplot"):
        return []
    made = []
    modes = doc["modes"]
    for p in doc["protos"]:
        present = [(m, t) for m, t in MODES if m != "app" and f"{m}_{p}" in modes]
        app = modes.get(f"app_{p}", {})
        data = os.path.join(outdir, f"{p}.dat")
        with open(data, "w") as f:
            f.write("metric " + " ".join(f'"{t}"' for _, t in present) + "\n")
            for key, label, _, better in ROWS:
                if not app.get(key):
                    continue
                vals = []
                for m, _ in present:
                    v = modes[f"{m}_{p}"].get(key)
                    # Always "higher is better" in the plot.
                    r = None if not v else (v / app[key] if better else app[key] / v)
                    vals.append("NaN" if r is None else f"{r:.3f}")
                f.write(f'"{label}" ' + " ".join(vals) + "\n")
        png = os.path.join(outdir, f"{p}.png")
        script = f"""
set terminal pngcairo size 1200,500 noenhanced
set output "{png}"
set title "{TITLES.get(p, p)}: ratio to the application itself (higher is better; emulated guest)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set xtics rotate by -30
set grid ytics
set key outside right
plot for [i=2:{len(present) + 1}] "{data}" using i:xtic(1) title columnhead(i), 1 notitle lw 2 lc rgb "black"
"""
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0:
            made.append(png)
        else:
            print(f"report.py: gnuplot: {r.stderr.strip()}", file=sys.stderr)
    return made


def main():
    if len(sys.argv) != 3:
        print("usage: report.py REPORT OUTDIR", file=sys.stderr)
        return 2
    doc = figures(sys.argv[1])
    if not doc:
        print(f"report.py: no figures in {sys.argv[1]}", file=sys.stderr)
        return 1
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    doc["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    doc["note"] = "TCG-emulated guest: compare ratios within a run"
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(markdown(doc))
    made = plot(doc, outdir)
    print(f"bench: {outdir}/results.json, results.md" + "".join(f", {os.path.basename(m)}"
                                                               for m in made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
