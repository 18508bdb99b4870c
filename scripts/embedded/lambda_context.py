"""The `context` Lambda passes to a handler, for the handlers the embedded stack calls itself (workflow tasks,
queue consumers, the sweeper)."""

from __future__ import annotations

import time
import uuid

from .resources import REGION


class LocalLambdaContext:
    """What Lambda passes as `context`, for handlers the local runner calls in-process."""

    def __init__(self, function_name: str, timeout_seconds: int = 60):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
