"""Step Functions' parse caches and shared Lambda client give what moto's fresh ones give
(scripts/localaws/stepfunctions.py)."""

from __future__ import annotations

import json
import os

import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path

from scripts.localaws import stepfunctions


@pytest.fixture(autouse=True)
def installed():
    stepfunctions.apply()


DATA = {
    "order_id": "o_1",
    "error": {"Error": "PaymentCanceled", "Cause": "x"},
    "lines": [{"n": 1}, {"n": 3}],
    "nested": {"a": {"b": [10, 20, 30]}},
}
PATHS = [
    "$",
    "$.order_id",
    "$.error.Error",
    "$.lines[1].n",
    "$.lines[*].n",
    "$.nested.a.b[0]",
    "$.lines[?(@.n > 1)]",
    "$.nested.a.b[0:2]",
    "$.missing",
]


def found(path: str):
    try:
        return json_path.extract_json(path, DATA)
    except json_path.NoSuchJsonPathError as error:
        return ("missing", error.json_path)


def test_json_paths_are_parsed_once_and_find_what_a_fresh_parse_finds():
    stepfunctions.uninstall_fast_step_functions()
    try:
        fresh = [found(path) for path in PATHS]
    finally:
        stepfunctions.install_fast_step_functions()
    assert [found(path) for path in PATHS] == fresh == [found(path) for path in PATHS]
    assert json_path.parse.cache_info().hits >= len(PATHS)  # the second round parsed nothing
    assert fresh[1] == "o_1" and fresh[-1] == ("missing", "$.missing")


DEFINITION = json.dumps(
    {
        "StartAt": "Price",
        "States": {
            "Price": {"Type": "Pass", "Result": {"total": 40}, "ResultPath": "$.price", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
)


def _shape(program) -> list[str]:
    return sorted(state.name for state in program.states.states.values())


def test_a_definition_is_parsed_once_into_the_program_a_fresh_parse_gives():
    stepfunctions.uninstall_fast_step_functions()
    try:
        fresh, _ = AmazonStateLanguageParser.parse(DEFINITION)
        assert AmazonStateLanguageParser.parse(DEFINITION)[0] is not fresh  # upstream: a new program every time
    finally:
        stepfunctions.install_fast_step_functions()
    program, _ = AmazonStateLanguageParser.parse(DEFINITION)
    assert AmazonStateLanguageParser.parse(DEFINITION)[0] is program
    assert type(program) is type(fresh) and _shape(program) == _shape(fresh) == ["Done", "Price"]


def test_lambda_tasks_share_one_client_per_region_and_port(monkeypatch):
    monkeypatch.setenv("MOTO_PORT", "5999")
    first = lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda", state_credentials=object())
    assert lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda") is first
    assert lambda_eval_utils.boto_client_for(region="eu-central-1", service="lambda") is not first
    assert first.meta.endpoint_url == "http://localhost:5999" and first.meta.region_name == "eu-west-1"
    monkeypatch.setenv("MOTO_PORT", "5998")  # another server: another client
    assert lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda") is not first
    assert os.environ["MOTO_PORT"] == "5998"
