"""moto's app behind the global lock, and its dispatcher's module list read once (scripts/localaws/server.py)."""

from __future__ import annotations

import io

from moto import backends

from scripts.localaws import server
from scripts.localaws.fairness import FairLock, FairSemaphore


def test_moto_s_module_list_is_read_once_and_is_moto_s_list():
    server.uninstall_module_list_cache()
    try:
        listed = list(backends.list_of_moto_modules())
    finally:
        server.install_module_list_cache()
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()
    assert list(backends.list_of_moto_modules()) == listed and {"dynamodb", "stepfunctions"} <= set(listed)


def _environ(path: str, body: bytes = b"", background: bool = False) -> dict:
    environ = {
        "PATH_INFO": path,
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if background:
        environ["HTTP_" + server.BACKGROUND_HEADER.upper().replace("-", "_")] = "1"
    return environ


def test_every_request_but_a_lambda_invocation_runs_under_the_lock_with_its_whole_body():
    lock = FairLock()
    seen = []

    def app(environ, start_response):
        seen.append((environ["PATH_INFO"], lock.locked(), environ["wsgi.input"].read()))
        yield b"part "
        seen.append(("iterated", lock.locked(), b""))  # a lazy body is produced under the lock too
        yield b"two"

    locked = server.LockedMotoApp(app, lock=lock)
    assert locked(_environ("/", b"{}"), None) == [b"part ", b"two"]
    assert list(locked(_environ("/2015-03-31/functions/f/invocations"), None)) == [b"part ", b"two"]
    assert seen == [
        ("/", True, b"{}"),
        ("iterated", True, b""),
        ("/2015-03-31/functions/f/invocations", False, b""),
        ("iterated", False, b""),
    ]
    assert not lock.locked()


def test_a_request_marked_as_background_work_asks_the_lock_as_such():
    class RecordingLock(FairSemaphore):
        asked: list[bool] = []

        def acquire(self, background: bool = False) -> bool:
            self.asked.append(background)
            return super().acquire(background)

    lock = RecordingLock(1)
    locked = server.LockedMotoApp(lambda environ, start_response: [], lock=lock)
    locked(_environ("/", background=True), None)
    locked(_environ("/"), None)
    assert lock.asked == [True, False]


def test_lambda_invocations_are_known_by_their_path():
    assert server.is_lambda_invocation("/2015-03-31/functions/podium-demo-ReserveSeats/invocations")
    assert server.is_lambda_invocation("/2014-11-13/functions/f/invoke-async/")
    assert not server.is_lambda_invocation("/2015-03-31/functions/f")
    assert not server.is_lambda_invocation("/")


def test_one_lock_for_the_whole_process():
    assert server.LockedMotoApp(lambda e, s: []).lock is server.LockedMotoApp(lambda e, s: []).lock is server.MOTO_LOCK
