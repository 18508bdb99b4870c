"""The stage's DynamoDB tables in this process: moto's `mock_aws`, no server and no HTTP.

The tables are made from `infra/template.json` by the embedded stack's own code, so their keys and
indexes are the ones deployed, and moto runs with the stack's DynamoDB fast paths. They are created
once per test run and emptied before each test (emptying a few hundred items takes milliseconds;
creating the tables again takes longer).

Use the `local_tables` fixture (registered by `tests/services/conftest.py` and `tests/store/conftest.py`), and
`local_secrets` for the template's secrets. Once started, the mock intercepts every AWS call of the process until
the run ends: these tests run apart from the embedded stack (scripts/test's fast lane), never in its process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from chalicelib.store import cache
from scripts.embedded import resources
from scripts.localaws import dynamodb as localaws_dynamodb

STAGE = "demo"


def _table_variables() -> dict[str, tuple[str, str]]:
    """Each environment variable that names a table → (logical id, physical name), as the template gives them."""
    template = resources.load_template()
    tables = {
        logical for logical, resource in template["Resources"].items() if resource.get("Type") == "AWS::DynamoDB::Table"
    }
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {
        name: (value["Ref"], resources.physical_name(STAGE, value["Ref"]))
        for name, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in tables
    }


TABLE_VARIABLES = _table_variables()

# Set before any store model is imported: the PynamoDB models read their table names once, at import.
for _variable, (_logical, _name) in TABLE_VARIABLES.items():
    os.environ[_variable] = _name


@dataclass
class LocalTables:
    """The tables of one test run; `names` maps a logical id (MainTable …) to its physical name."""

    names: dict[str, str]
    keys: dict[str, list[str]]  # physical name → its key attributes
    _client: object = None

    def client(self):
        if self._client is None:
            self._client = boto3.client("dynamodb", region_name=resources.REGION)
        return self._client

    def empty(self) -> None:
        """Delete every item of every table (the tables themselves stay)."""
        dynamodb = self.client()
        for name in self.names.values():
            keys = self.keys[name]
            projection = ", ".join(f"#k{index}" for index in range(len(keys)))
            aliases = {f"#k{index}": key for index, key in enumerate(keys)}
            pages = dynamodb.get_paginator("scan").paginate(
                TableName=name, ProjectionExpression=projection, ExpressionAttributeNames=aliases
            )
            items = [item for page in pages for item in page["Items"]]
            for start in range(0, len(items), 25):
                dynamodb.batch_write_item(
                    RequestItems={name: [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]}
                )

    def count(self, logical_id: str = "MainTable") -> int:
        return self.client().scan(TableName=self.names[logical_id], Select="COUNT")["Count"]


@pytest.fixture(scope="session")
def local_tables_session() -> Iterator[LocalTables]:
    """moto in this process for the whole run, with the template's tables created once."""
    # A stack started earlier in this process points every client at its server; these tests must not reach it.
    saved_endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        # The embedded stack's moto server runs with these DynamoDB fast paths (scripts/localaws/README.md, #2–#6):
        # transactions that copy only the items they write, partition-sized queries. Tests here run in one thread,
        # so the server's lock they rely on is not needed.
        localaws_dynamodb.apply()
        template = resources.load_template()["Resources"]
        names, keys = {}, {}
        for logical, name in TABLE_VARIABLES.values():
            properties = template[logical]["Properties"]
            resources._table(None, name, properties)  # the embedded stack's own table creation
            names[logical] = name
            keys[name] = [attribute["AttributeName"] for attribute in properties["KeySchema"]]
        _check_models_use(names)
        yield LocalTables(names, keys)
    if saved_endpoint is not None:
        os.environ["AWS_ENDPOINT_URL"] = saved_endpoint


@pytest.fixture
def local_tables(local_tables_session: LocalTables) -> LocalTables:
    """The stage's tables, empty at the start of the test (and the process's read caches cold with them)."""
    local_tables_session.empty()
    cache.clear_all()
    return local_tables_session


@pytest.fixture(scope="session")
def local_secrets(local_tables_session: LocalTables) -> dict[str, str]:
    """The template's secrets in the same in-process moto, generated as the embedded stack generates them, and
    the environment variables that name them set (ticket signing keys, the customer data key …)."""
    template = resources.load_template()
    secrets = {
        logical: resource
        for logical, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::SecretsManager::Secret"
    }
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    arns = {}
    for variable, value in variables.items():
        logical = value.get("Ref") if isinstance(value, dict) else None
        if logical in secrets:
            name = resources.physical_name(STAGE, logical)
            if logical not in arns:
                value = resources.generated_secret(secrets[logical]["Properties"])
                arns[logical] = resources._secret(None, name, value)  # the embedded stack's own secret creation
            os.environ[variable] = arns[logical]
    return arns


def _check_models_use(names: dict[str, str]) -> None:
    """Fail clearly if a store model was imported with other table names (before this module set them)."""
    from chalicelib.store import models

    used = {"MainTable": models.TableItem.Meta.table_name, "CustomerTable": models.CustomerTableItem.Meta.table_name}
    wrong = {logical: name for logical, name in used.items() if names.get(logical) != name}
    assert not wrong, f"store models were imported before tests.local_tables set the table names: {wrong}"
