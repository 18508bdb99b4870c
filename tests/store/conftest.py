"""Store tests run against the stage's tables in this process (moto's mock_aws, no server)."""

from tests.local_tables import local_secrets, local_tables, local_tables_session  # noqa: F401  (fixtures)
