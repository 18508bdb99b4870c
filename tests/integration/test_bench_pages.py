"""`scripts/bench pages` at a tiny size, so the benchmark cannot rot: it runs its own stack in a process
of its own (a second embedded stack in this process would take over the shared one's environment)."""

import json
import subprocess
import sys

from scripts.embedded.stack import ROOT


def test_the_pages_benchmark_runs_and_reads_the_pages_server_timing():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.embedded.bench_pages",
            "--seats",
            "60",
            "--performances",
            "4",
            "--requests",
            "3",
            "--warm-up",
            "1",
            "--max-seconds",
            "60",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.split("\n\n")[0])
    assert figures["seats"] == 60 and figures["seats_taken"] == 21 and figures["agenda_rows"] == 4
    for page in ("agenda", "agenda fr", "seat map", "seat map fr"):
        assert figures["ms"][page]["app"]["n"] == 3
        assert 0 < figures["ms"][page]["render"]["p50"] <= figures["ms"][page]["app"]["p50"]
    weight = figures["seat_map_weight"]["seat map"]
    assert [f["url"].split("/")[-1] for f in weight["files"]][1:] == ["pages.css", "pages.js"]
    assert 0 < weight["transferred_gzip"] < weight["transferred_plain"]
