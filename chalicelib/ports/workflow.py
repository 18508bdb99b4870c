"""Long-running workflows (Step Functions on AWS): started once per name, resumed by task tokens."""

from __future__ import annotations

from typing import Literal, Protocol

# The state machines of the stage; the adapter knows where each one runs.
Workflow = Literal["checkout", "refund", "settlement", "erasure"]


class Workflows(Protocol):
    def start(self, workflow: Workflow, name: str, payload: dict) -> str:
        """Start an execution named `name` once (a second start with that name changes nothing); its id."""

    def send_success(self, token: str, output: dict) -> bool:
        """Resume a waiting task; False if the token is spent (answered before, timed out or the run ended)."""

    def send_failure(self, token: str, error: str, cause: str) -> bool:
        """Fail a waiting task with `error` (the name its Catch matches); False if the token is spent."""
