"""Service tests: the stage's tables in this process (moto's mock_aws, no server) and in-memory ports."""
from tests.local_tables import local_tables, local_tables_session  # noqa: F401  (fixtures)
