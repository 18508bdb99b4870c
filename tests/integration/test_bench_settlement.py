"""`scripts/bench settlement` at a tiny size, so that it keeps working: every house paid once, the money to the cent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_settlement_benchmark_settles_a_small_period_and_balances_to_the_cent():
    # Its own process: the benchmark starts a fresh embedded stack of its own.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.embedded.bench_settlement",
            "--tickets",
            "300",
            "--houses",
            "3",
            "--max-seconds",
            "60",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    assert figures["tickets"] == 300 and figures["write"]["complete"]
    settlement = figures["settlement"]
    assert settlement["status"] == "SUCCEEDED"
    assert settlement["task_invocations"] == {"SettlementGather": 1, "SettlementPayHouse": 3, "SettlementClose": 1}
    assert settlement["dynamodb_items_read"] >= figures["write"]["items"]
    assert figures["statements"] == {**figures["statements"], "stored": 3, "paid": 3, "transfers": 3}
    assert figures["money"]["balanced"] and figures["pure_money"]["balanced"]
    assert figures["money"]["fees"] == figures["money"]["fees_as_booked"]
