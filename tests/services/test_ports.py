"""The ports themselves: the registry, the real clock and ids (the formats the stage has always used), the
composition root, and a workflow started by name."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from chalicelib import ports, wiring
from chalicelib.adapters.step_functions import state_machine_arn
from chalicelib.adapters.system import RandomIds, SystemClock
from chalicelib.services import settlements
from chalicelib.settings import get_settings
from tests.fakes import SequentialIds

ROOT = Path(__file__).resolve().parents[2]
FORMATS = {
    "hold_id": r"h_[A-Za-z0-9_-]{16}",
    "cart_id": r"c_[A-Za-z0-9_-]{16}",
    "refund_id": r"r_[0-9a-f]{16}",
    "allocation_id": r"al_[A-Za-z0-9_-]{12}",
    "change_id": r"c_[0-9a-f]{16}",
    "scan_id": r"[0-9a-f]{32}",
    "run_suffix": r"[0-9a-f]{8}",
}


@pytest.fixture
def no_ports():
    previous = ports.installed()
    ports.restore({})
    yield
    ports.restore(previous)


def test_a_port_used_before_anything_is_installed_says_how_to_install_it(no_ports):
    with pytest.raises(ports.PortNotInstalled, match=r"wiring\.install\(\)"):
        ports.payments()


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_random_ids_keep_the_stages_formats_and_sequential_ids_match_them(kind):
    made = {getattr(RandomIds(), kind)() for _ in range(50)}

    assert all(re.fullmatch(FORMATS[kind], made_id) for made_id in made), made
    assert len(made) == 50
    assert re.fullmatch(FORMATS[kind], getattr(SequentialIds(), kind)())


def test_catalog_ids_are_the_prefix_and_ten_hex_digits():
    assert re.fullmatch(r"perf-[0-9a-f]{10}", RandomIds().catalog_id("perf"))


def test_the_system_clock_tells_utc():
    assert SystemClock().now().tzinfo is UTC


def test_each_workflow_name_maps_to_its_state_machine(monkeypatch):
    for workflow in ("checkout", "refund", "settlement", "erasure"):
        monkeypatch.setenv(
            f"{workflow.upper()}_STATE_MACHINE_ARN", f"arn:aws:states:eu-west-1:1:stateMachine:{workflow}"
        )

    arns = {
        workflow: state_machine_arn(workflow, get_settings())
        for workflow in ("checkout", "refund", "settlement", "erasure")
    }

    assert arns == {workflow: f"arn:aws:states:eu-west-1:1:stateMachine:{workflow}" for workflow in arns}


def test_wiring_installs_the_aws_and_stripe_adapters(no_ports):
    wiring.install()

    names = {
        name: type(getattr(ports, name)()).__name__
        for name in ("payments", "workflows", "events", "mail", "clock", "ids")
    }
    assert names == {
        "payments": "StripePayments",
        "workflows": "StepFunctionsWorkflows",
        "events": "SnsEvents",
        "mail": "SesMail",
        "clock": "SystemClock",
        "ids": "RandomIds",
    }


def test_installing_the_adapters_does_not_import_stripe():
    # A cold start pays for stripe only in the functions that call it.
    code = "import sys; from chalicelib import wiring; wiring.install(); print('stripe' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert answer.stdout.strip() == "False"


def test_a_settlement_run_is_named_after_its_period_and_a_fresh_suffix(cluster):
    cluster.ports.clock.advance(days=60)

    period, run = settlements.start_settlement("2026-11", None, None, cluster.now)

    (execution,) = cluster.ports.workflows.started("settlement")
    assert execution.name == run
    assert re.fullmatch(r"2026-11-[0-9a-f]{8}", run)
    assert execution.payload == {"period_id": "2026-11"}
