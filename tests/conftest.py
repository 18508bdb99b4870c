"""Shared test set-up: the repository root on the path, fake AWS credentials everywhere."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import personal_data  # noqa: E402

# Never let a test reach a real AWS account.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "PODIUM_STAGE": "demo",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "podium",
    "POWERTOOLS_METRICS_NAMESPACE": "Podium",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The embedded stack (moto, gateway, workers), once per run. One per process: it sets the process's
    AWS endpoint, so integration and browser tests must share it rather than start their own."""
    from scripts.embedded.stack import EmbeddedStack

    state = tmp_path_factory.mktemp("stack")
    embedded = EmbeddedStack(
        stage="demo",
        state_dir=state,
        fresh=True,
        sweep_interval=0,
        snapshot_interval=0,
        gateway_log=state / "gateway.log",
        access_log=state / "access.jsonl",
    )
    personal_data.add_log_file(state / "gateway.log")
    embedded.start()
    yield embedded
    for name, email in _buyers_on_record(embedded):
        personal_data.register(name, email)
    embedded.stop()
    # Least privilege, proven by use: everything every function did in this run, its own role allows.
    from scripts.embedded import access, permissions, resources

    record = access.read(embedded.access_log)
    denied = permissions.violations(record, resources.load_template(), embedded.refs)
    assert not denied, "calls the template's roles would refuse on AWS:\n" + "\n".join(denied)
    # every app function that ran is in the record, whichever process ran it (the functions process too)
    from scripts.embedded import workflows

    prefix = resources.physical_name(embedded.stage, "")
    ran = {name[len(prefix) :] for name, _ in workflows.dispatcher.invocations if name.startswith(prefix)}
    assert ran <= {entry["function"] for entry in record}, sorted(ran)


def _buyers_on_record(embedded) -> list[tuple[str, str]]:
    """Every buyer still in the stack's CustomerTable (erased ones were registered when they were created)."""
    from scripts.embedded import resources

    dynamodb = resources.client("dynamodb", embedded.moto.url)
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=embedded.refs["CustomerTable"],
        ProjectionExpression="#n, email",
        ExpressionAttributeNames={"#n": "name"},
    )
    return [
        (item.get("name", {}).get("S", ""), item["email"]["S"])
        for page in pages
        for item in page["Items"]
        if "email" in item
    ]


# -- the order of the files ---------------------------------------------------------------------------
# Started first (scripts/test runs the server lane with --dist loadfile --no-loadscope-reorder, so the workers
# take files in this order): the longest first (docs/benchmarks.md, "Test suite"), so that no worker is left with
# one long file at the end while the other idles. (The files that compare whole tables read digests from the
# local AWS, so where they run no longer costs much.)
FIRST = (
    "tests/integration/test_run_command.py",
    "tests/integration/test_api_fuzz.py",
    "tests/integration/test_settlement.py",
    "tests/integration/test_checkout_outcomes.py",
    "tests/integration/test_refusals_write_nothing.py",
    "tests/browser/test_desk_allocations.py",
    "tests/browser/test_staff_pages.py",
    "tests/integration/test_bench_pages.py",
    "tests/integration/test_bench_settlement.py",
    "tests/integration/test_errors.py",
    "tests/integration/test_aggregate_creates.py",
    "tests/integration/test_package.py",
    "tests/integration/test_isolation.py",
    "tests/integration/test_rate_limits.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {path: index for index, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


# -- no personal data in logs ------------------------------------------------------------------------
# With pytest-xdist (scripts/test runs the server tests on parallel workers) every worker registers its own
# buyers and credentials and checks its own logs at its session's end; it hands the leaked lines to the
# controller in `workeroutput`, and the controller fails the run and names them.
_WORKER_LEAKS = "podium_personal_data_leaks"
_WORKER_BUYERS = "podium_personal_data_buyers"


def _distributes(config) -> bool:
    """This process hands the tests to xdist workers and runs none itself."""
    return config.pluginmanager.has_plugin("dsession")


def pytest_configure(config):
    personal_data.start()
    config._podium_worker_leaks = []  # (what matched, line) of every worker that finished
    config._podium_worker_buyers = 0


def pytest_runtest_logreport(report):
    """Keep what pytest captured of every test (stdout, stderr, log records), passed or failed. (A controller
    is sent its workers' reports too; each worker has kept and checked them already.)"""
    if getattr(report, "node", None) is not None:  # a worker's report, replayed in the controller
        return
    for title, content in report.sections:
        personal_data.capture(f"{report.nodeid} {report.when}: {title}", content)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """An xdist worker finished: keep what its log check found."""
    output = getattr(node, "workeroutput", None) or {}
    node.config._podium_worker_leaks.extend(tuple(leak) for leak in output.get(_WORKER_LEAKS, []))
    node.config._podium_worker_buyers += output.get(_WORKER_BUYERS, 0)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any test buyer's e-mail address or name was logged anywhere during it."""
    config = session.config
    # what each line holds, for the lines the summary shows (matching it again is slow for thousands)
    leaks = [
        (personal_data.what_matched(line) if index < 20 else "", line)
        for index, line in enumerate(personal_data.check())
    ]
    if hasattr(config, "workerinput"):  # an xdist worker: the controller reports and fails the run
        config.workeroutput[_WORKER_LEAKS] = leaks
        config.workeroutput[_WORKER_BUYERS] = len(personal_data.buyers())
    leaks += config._podium_worker_leaks
    config._podium_personal_data_leaks = leaks
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leaks = getattr(config, "_podium_personal_data_leaks", [])
    buyers = len(personal_data.buyers()) + config._podium_worker_buyers
    if leaks:
        terminalreporter.section("personal data in the logs", sep="=", red=True, bold=True)
        where = "each worker's logs" if _distributes(config) else f"all logs: {personal_data.CAPTURED}"
        terminalreporter.write_line(
            f"{len(leaks)} logged line(s) hold a test buyer's e-mail address or name ({where}):"
        )
        terminalreporter.write_line(
            "(or one of the phone numbers, staff free texts, tokens, API key secrets and gift-card codes the run used)"
        )
        for matched, line in leaks[:20]:
            terminalreporter.write_line(f"  [{matched}] " + line[:300])
    else:
        terminalreporter.write_line(f"no personal data in the logs ({buyers} test buyers checked)")
    if config.getoption("capture") == "no":  # -s: this process's output went to the terminal, unchecked
        terminalreporter.write_line("with -s only the gateways' logs were checked for personal data", yellow=True)
