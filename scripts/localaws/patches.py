"""Every patch module of the local AWS, and the moto server process's entry point."""

from __future__ import annotations

from . import awslambda, botocore_hooks, chalice_local, deletions, dynamodb, server, stepfunctions

PATCH_MODULES = (dynamodb, stepfunctions, server, awslambda, chalice_local, botocore_hooks, deletions)


def apply() -> None:
    """The moto server process's patches: DynamoDB's and Step Functions' fast paths, the dispatcher's module
    list read once (idempotent, process-wide). Serve moto with `server.LockedMotoApp`: they rely on it."""
    dynamodb.apply()
    stepfunctions.apply()
    server.apply()
