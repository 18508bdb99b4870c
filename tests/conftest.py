"""Shared test set-up: the repository root on the path, fake AWS credentials everywhere."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import personal_data  # noqa: E402

# Never let a test reach a real AWS account.
for _name, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                      "AWS_DEFAULT_REGION": "eu-west-1", "PODIUM_STAGE": "demo",
                      "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_SERVICE_NAME": "podium",
                      "POWERTOOLS_METRICS_NAMESPACE": "Podium"}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The embedded stack (moto, gateway, workers), once per run. One per process: it sets the process's
    AWS endpoint, so integration and browser tests must share it rather than start their own."""
    from scripts.embedded.stack import EmbeddedStack

    state = tmp_path_factory.mktemp("stack")
    embedded = EmbeddedStack(stage="demo", state_dir=state, fresh=True, sweep_interval=0, snapshot_interval=0,
                             gateway_log=state / "gateway.log", access_log=state / "access.jsonl")
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
    ran = {name[len(prefix):] for name, _ in workflows.dispatcher.invocations if name.startswith(prefix)}
    assert ran <= {entry["function"] for entry in record}, sorted(ran)


def _buyers_on_record(embedded) -> list[tuple[str, str]]:
    """Every buyer still in the stack's CustomerTable (erased ones were registered when they were created)."""
    from scripts.embedded import resources

    dynamodb = resources.client("dynamodb", embedded.moto.url)
    pages = dynamodb.get_paginator("scan").paginate(TableName=embedded.refs["CustomerTable"],
                                                    ProjectionExpression="#n, email",
                                                    ExpressionAttributeNames={"#n": "name"})
    return [(item.get("name", {}).get("S", ""), item["email"]["S"]) for page in pages for item in page["Items"]
            if "email" in item]


# -- no personal data in logs ------------------------------------------------------------------------
def pytest_configure(config):
    personal_data.start()


def pytest_runtest_logreport(report):
    """Keep what pytest captured of every test (stdout, stderr, log records), passed or failed."""
    for title, content in report.sections:
        personal_data.capture(f"{report.nodeid} {report.when}: {title}", content)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any test buyer's e-mail address or name was logged anywhere during it."""
    leaks = personal_data.check()
    session.config._podium_personal_data_leaks = leaks
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leaks = getattr(config, "_podium_personal_data_leaks", [])
    if leaks:
        terminalreporter.section("personal data in the logs", sep="=", red=True, bold=True)
        terminalreporter.write_line(f"{len(leaks)} logged line(s) hold a test buyer's e-mail address or name "
                                    f"(all logs: {personal_data.CAPTURED}):")
        terminalreporter.write_line(f"(or one of {len(personal_data.private_texts())} phone numbers, staff free texts, "
                                    "tokens, API key secrets and gift-card codes the run used)")
        for line in leaks[:20]:
            terminalreporter.write_line(f"  [{personal_data.what_matched(line)}] " + line[:300])
    else:
        terminalreporter.write_line(f"no personal data in the logs ({len(personal_data.buyers())} test buyers "
                                    "checked)")
    if config.getoption("capture") == "no":  # -s: this process's output went to the terminal, unchecked
        terminalreporter.write_line("with -s only the gateways' logs were checked for personal data", yellow=True)
