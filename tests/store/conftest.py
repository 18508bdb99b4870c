"""Store tests run against the stage's tables in this process (moto's mock_aws, no server)."""

from tests.local_tables import local_secrets, local_tables, local_tables_session  # noqa: F401  (fixtures)


def table_items(tables) -> list[dict]:
    """Every item of the main table, sorted by key: compare before and after a refused write."""
    pages = tables.client().get_paginator("scan").paginate(TableName=tables.names["MainTable"])
    items = [item for page in pages for item in page["Items"]]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
