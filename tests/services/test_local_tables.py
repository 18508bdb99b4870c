"""The in-process tables: made from the template, empty at each test's start."""

from chalicelib.store import models


def test_tables_have_the_templates_indexes(local_tables):
    table = local_tables.client().describe_table(TableName=local_tables.names["MainTable"])["Table"]
    assert sorted(index["IndexName"] for index in table["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2"]


def test_a_written_item_is_readable_through_the_store_models(local_tables):
    models.HouseItem("HOUSE#h1", "HOUSE", name="Westrand", slug="westrand").save()
    assert models.HouseItem.get("HOUSE#h1", "HOUSE").name == "Westrand"
    assert local_tables.count() == 1


def test_each_test_starts_with_empty_tables(local_tables):
    assert local_tables.count() == 0
    assert local_tables.count("CustomerTable") == 0


def test_emptying_removes_every_item(local_tables):
    models.HouseItem("HOUSE#h2", "HOUSE", name="Westrand", slug="westrand").save()
    local_tables.empty()
    assert local_tables.count() == 0
