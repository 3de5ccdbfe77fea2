"""PySide6 6.12.0 lowers None's refcount on every void call under Python 3.11 and then kills the
interpreter (engineering-notes section 0). Fails within milliseconds on a bad build."""

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python >= 3.12")


def test_void_calls_do_not_leak_none_references():
    from PySide6.QtCore import QObject

    QObject().setObjectName("warm-up")
    before = sys.getrefcount(None)
    for _ in range(10_000):
        QObject().setObjectName("x")
    after = sys.getrefcount(None)
    assert after >= before - 50, f"None refcount dropped from {before} to {after}: PySide6 build is unsafe"
