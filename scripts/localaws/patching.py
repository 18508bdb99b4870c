"""Putting a replacement in place of an upstream attribute, and knowing what was there before.

Every patch of the package goes through `replace`, so the original is always kept on its owner under one
name (`_localaws_original_<name>`): `restore` puts it back, and `upstream` finds it even while the patch is
installed, which is what the upgrade tests hash (`source_hash`).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

PREFIX = "_localaws_original_"


def _own(owner: Any, name: str) -> Any:
    """The attribute as the owner holds it (a class's staticmethod object, not the function)."""
    return vars(owner)[name] if name in vars(owner) else getattr(owner, name)


def replace(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Set `owner.name` to `make(original)`; the original is kept once, so this is idempotent."""
    saved = PREFIX + name
    if saved in vars(owner):
        return
    original = _own(owner, name)
    setattr(owner, saved, original)
    setattr(owner, name, make(original))


def restore(owner: Any, name: str) -> None:
    """Put the original back (nothing to do when the patch is not installed)."""
    saved = PREFIX + name
    if saved in vars(owner):
        setattr(owner, name, vars(owner)[saved])
        delattr(owner, saved)


def is_replaced(owner: Any, name: str) -> bool:
    return PREFIX + name in vars(owner)


def original(owner: Any, name: str) -> Any:
    """The upstream attribute, whether or not it is replaced (a static or class method as its function)."""
    value = vars(owner).get(PREFIX + name)
    if value is None:
        value = _own(owner, name)
    return value.__func__ if isinstance(value, (staticmethod, classmethod)) else value


def upstream(target: str) -> Any:
    """`"package.module:Class.attribute"` (or `"package.module:function"`) as upstream wrote it."""
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    return original(owner, name)


def source_hash(target: str) -> str:
    """The first 16 hex digits of the SHA-256 of the target's source (dedented): any upstream edit changes it."""
    source = textwrap.dedent(inspect.getsource(upstream(target)))
    return hashlib.sha256(source.encode()).hexdigest()[:16]
