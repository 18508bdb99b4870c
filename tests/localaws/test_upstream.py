"""The upstream code the local AWS patches is the code its patches were reviewed against.

A failure here after an upgrade means: an upstream function a patch replaces, wraps or copies the logic of
has changed. Read the upstream diff for that function, adapt the patch (scripts/localaws/README.md, "How
to upgrade"), then record the new hash in the module's UPSTREAM.
"""

from __future__ import annotations

import inspect
import re
from importlib import metadata

import pytest

from scripts import localaws
from scripts.localaws import patches, patching
from tests.conftest import ROOT

REVIEWED = [
    (module.__name__.rsplit(".", 1)[-1], target, recorded)
    for module in patches.PATCH_MODULES
    for target, recorded in module.UPSTREAM.items()
]


@pytest.mark.parametrize("package", sorted(localaws.PINNED))
def test_the_installed_versions_are_the_reviewed_pins(package):
    pins = {}
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / requirements).read_text().splitlines():
            match = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s#;]+)", line)
            if match:
                pins[match.group(1).lower()] = match.group(2)
    assert pins.get(package) == localaws.PINNED[package], f"{package}: requirements pin and localaws.PINNED differ"
    assert metadata.version(package) == localaws.PINNED[package]


@pytest.mark.parametrize("area, target, recorded", REVIEWED, ids=[f"{area}:{target}" for area, target, _ in REVIEWED])
def test_the_patched_upstream_code_is_unchanged_since_it_was_reviewed(area, target, recorded):
    assert patching.source_hash(target) == recorded, (
        f"{target} changed upstream: review scripts/localaws/{area}.py against it, then record the new hash"
    )


def _parameters(target: str) -> list[str]:
    return list(inspect.signature(patching.upstream(target)).parameters)


# The parameters each patch calls or receives, in the order it passes them positionally.
SIGNATURES = {
    "moto.dynamodb.models:DynamoDBBackend.transact_write_items": ["self", "transact_items"],
    "moto.dynamodb.models.dynamo_type:Item.project": ["self", "projection_expressions"],
    "moto.dynamodb.responses:DynamoResult.execute_result": ["self", "context"],
    "moto.stepfunctions.parser.asl.utils.boto_client:boto_client_for": ["region", "service", "state_credentials"],
    "moto.stepfunctions.parser.asl.parse.asl_parser:AmazonStateLanguageParser.parse": ["definition"],
    "moto.awslambda.models:LambdaFunction._invoke_lambda": ["self", "event"],
    "chalice.local:LocalGateway.handle_request": ["self", "method", "path", "headers", "body"],
    "chalice.local:ChaliceRequestHandler._generic_handle": ["self"],
    "botocore.client:BaseClient._make_api_call": ["self", "operation_name", "api_params"],
    "botocore.httpsession:URLLib3Session.send": ["self", "request"],
    "moto.backends:list_of_moto_modules": [],
    # deletions passes the table's name positionally, the rest through
    "moto.dynamodb.models:DynamoDBBackend.delete_item": [
        "self",
        "table_name",
        "key",
        "expression_attribute_names",
        "expression_attribute_values",
        "condition_expression",
        "return_values_on_condition_check_failure",
    ],
}


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_the_patched_places_keep_their_signatures(target):
    assert _parameters(target) == SIGNATURES[target]


def test_table_query_takes_the_index_name_where_the_fast_query_passes_it():
    # fast_query passes these positionally and everything after them through unchanged.
    assert _parameters("moto.dynamodb.models.table:Table.query")[:9] == [
        "self",
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
    ]


def test_every_module_with_upstream_code_is_reviewed():
    assert {module.__name__ for module in patches.PATCH_MODULES} == {
        f"scripts.localaws.{name}"
        for name in ("dynamodb", "stepfunctions", "server", "awslambda", "chalice_local", "botocore_hooks", "deletions")
    }
    assert all(module.UPSTREAM for module in patches.PATCH_MODULES)
