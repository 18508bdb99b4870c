"""Schemathesis hooks for scripts/fuzz: half of the generated ids are ones the stack really has.

Random ids only ever reach "not found"; the seeded cluster's performances, houses, venues and
productions, and a buyer session with its hold and cart, take the fuzzer past the lookups into the
code behind them. Read from PODIUM_FUZZ_KNOWN (JSON: {"path parameter": [ids], "session": "…"}).
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import strategies as st

KNOWN = json.loads(os.environ.get("PODIUM_FUZZ_KNOWN", "{}"))
SESSION_HEADER = "X-Podium-Session"


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    choices = {
        name: st.sampled_from([value, *KNOWN[name]])
        for name, value in (path_parameters or {}).items()
        if KNOWN.get(name)
    }
    if not choices:
        return st.just(path_parameters)
    return st.fixed_dictionaries({**{name: st.just(value) for name, value in path_parameters.items()}, **choices})


@schemathesis.hook
def flatmap_headers(context, headers):
    if not headers or SESSION_HEADER not in headers or not KNOWN.get("session"):
        return st.just(headers)
    return st.sampled_from([headers, {**headers, SESSION_HEADER: KNOWN["session"]}])
