"""`Qt`: PySide6's `QtCore.Qt` namespace, created on first attribute access instead of at import.

Resolving `QtCore.Qt` makes PySide build every enum of the namespace as a Python enum (about 150 enums,
3,500 members): 30-45 ms of CPU on the 2-core test machine, a quarter of what a bare QWizard needs to show
its first window. Modules on the first-paint path import `Qt` from here, and that path sets what it needs by
name through Qt's property system (`set_enum_property`), so the namespace is built after the first paint,
when another page first touches it (issue 14; tests/test_ui_startup.py checks the first window never does).
"""

from __future__ import annotations

from typing import Any


class _LazyQtNamespace:
    """Forwards every attribute to `PySide6.QtCore.Qt`, importing it on first use."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        from PySide6.QtCore import Qt as namespace

        return getattr(namespace, name)

    def __repr__(self) -> str:
        return "<lazy PySide6.QtCore.Qt>"


Qt: Any = _LazyQtNamespace()


def set_enum_property(obj: Any, name: str, keys: str) -> None:
    """Set the enum or flags Qt property `name` of `obj` by its key names (`"PlainText"`,
    `"AlignTop|AlignLeft"`), which Qt converts without the Python `Qt` namespace. Raises ValueError when
    `obj` has no such property or the keys are not among its values, so a typo fails loudly."""
    meta = obj.metaObject()
    index = meta.indexOfProperty(name)
    if index < 0 or not obj.setProperty(name, keys):
        raise ValueError(f"{type(obj).__name__} has no enum property {name!r} taking {keys!r}")
