"""`scripts/run` itself: starts the stack with the demo cluster, stops on Ctrl-C, keeps its data."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import requests

from scripts.embedded.stack import ROOT, free_port


def start(state_dir, *extra: str) -> tuple[subprocess.Popen, str]:
    port, moto_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_ENDPOINT", "TABLE_", "MOTO_"))}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.embedded.run",
            "--port",
            str(port),
            "--moto-port",
            str(moto_port),
            "--state-dir",
            str(state_dir),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        output.append(line)
        if "Press Ctrl-C to stop." in line:
            return process, "".join(output)
        assert time.monotonic() < deadline, "".join(output)
    raise AssertionError("scripts/run ended early:\n" + "".join(output))


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    return rest


def url_of(output: str) -> str:
    line = next(line for line in output.splitlines() if "Public API" in line)
    return line.split()[2].rsplit("/agenda", 1)[0]


def test_run_seeds_the_demo_cluster_keeps_data_across_restarts_and_fresh_starts_clean(tmp_path):
    process, output = start(tmp_path)
    try:
        assert "Seeded the demo cluster" in output
        api = url_of(output)
        agenda = requests.get(api + "/agenda", timeout=30).json()
        assert len(agenda["houses"]) >= 3 and len(agenda["performances"]) >= 8
        seated = next(p for p in agenda["performances"] if p["seated"] and p["on_sale"] and p["capacity"] > 400)
        assert any(not p["seated"] for p in agenda["performances"])
        session = {"X-Podium-Session": secrets.token_urlsafe(24)}
        hold = requests.post(
            f"{api}/performances/{seated['id']}/holds",
            json={"best_available": {"count": 2}},
            headers=session,
            timeout=30,
        ).json()
        tokens = json.loads((tmp_path / "tokens.json").read_text())
        assert {"coordinator", "cc-westrand", "gc-de-markt", "kc-nova"} <= set(tokens)
    finally:
        stop(process)
    assert (tmp_path / "state" / "demo.json").exists()

    process, output = start(tmp_path)
    try:
        assert "Restored" in output and "Seeded" not in output
        api = url_of(output)
        kept = requests.get(f"{api}/holds/{hold['id']}", headers=session, timeout=30)
        assert kept.status_code == 200 and kept.json()["status"] == "active"
        seats = requests.get(f"{api}/performances/{seated['id']}/seats", timeout=30).json()["seatmap"]["seats"]
        states = {seat["id"]: seat["state"] for seat in seats}
        assert all(states[seat["id"]] == "held" for seat in hold["seats"])
        # the same staff tokens still work: the signing key is part of the saved state
        staff = requests.get(
            f"{api}/staff/performances", timeout=30, headers={"Authorization": f"Bearer {tokens['cc-westrand']}"}
        )
        assert staff.status_code == 200
    finally:
        stop(process)

    process, output = start(tmp_path, "--fresh")
    try:
        assert "Seeded the demo cluster" in output
        api = url_of(output)
        assert requests.get(f"{api}/holds/{hold['id']}", headers=session, timeout=30).status_code == 404
    finally:
        stop(process)
