"""Tailer fault cases: missing file, partial writes, truncation, rotation to .lo_, rename, delete + re-create,
UTF-16 split at odd bytes, start at end / at an offset, and the folder tailer."""

from __future__ import annotations

import codecs
import os
import threading
from pathlib import Path

from wizard.core.tail import FolderTailer, LogTailer, file_size


def ccm(msg, typ="1"):
    return (f'<![LOG[{msg}]LOG]!><time="13:28:46.510+480" date="01-13-2023" component="ccmsetup" context="" '
            f'type="{typ}" thread="1" file="ccmsetup.cpp:1">\r\n')


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def messages(records):
    return [r.message for r in records]


def test_missing_file_then_created(tmp_path):
    path = tmp_path / "ccmsetup.log"
    tailer = LogTailer(path)
    assert tailer.poll() == [] and not tailer.exists
    path.write_bytes(codecs.BOM_UTF8 + ccm("first").encode())
    records = tailer.poll()
    assert messages(records) == ["first"] and records[0].offset == 3
    assert tailer.exists and tailer.generation == 1 and tailer.encoding == "utf-8-sig"


def test_partial_record_is_never_emitted_half(tmp_path):
    path = tmp_path / "ccmsetup.log"
    record = (codecs.BOM_UTF8 + ccm("Received message '<Reply>\r\n  <x/>\r\n</Reply>'").encode())
    path.write_bytes(b"")
    tailer = LogTailer(path)
    seen = []
    closing = record.rindex(b'">')  # a CCM record is complete only at its closing `">`
    for i in range(len(record)):  # one byte per tick
        append(path, record[i:i + 1])
        seen += tailer.poll()
        if i <= closing:
            assert seen == [], i
    assert messages(seen) == ["Received message '<Reply>\n  <x/>\n</Reply>'"]


def test_truncation_starts_over(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes((ccm("one") + ccm("two")).encode())
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["one", "two"]
    path.write_bytes(ccm("3").encode())  # shorter than before
    assert messages(tailer.poll()) == ["3"]
    assert tailer.generation == 2


def test_copy_truncate_rewrite_past_offset_is_detected(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("old").encode())
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["old"]
    with open(path, "r+b") as fh:  # same inode, rewritten and longer than before within one tick
        fh.truncate(0)
        fh.write((ccm("new-a") + ccm("new-b")).encode())
    assert messages(tailer.poll()) == ["new-a", "new-b"]


def test_rotation_to_lo_underscore_reads_the_rest_from_the_copy(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(codecs.BOM_UTF8 + ccm("a").encode())
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["a"]
    append(path, ccm("b").encode())  # written, then rotated before the next tick
    os.replace(path, tmp_path / "ccmsetup.lo_")
    path.write_bytes(codecs.BOM_UTF8 + ccm("c").encode())
    assert messages(tailer.poll()) == ["b", "c"]
    assert tailer.generation == 2


def test_copy_rotation_same_inode(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(codecs.BOM_UTF8 + ccm("a").encode())
    tailer = LogTailer(path)
    tailer.poll()
    append(path, ccm("b").encode())
    (tmp_path / "ccmsetup.lo_").write_bytes(path.read_bytes())  # copy, then restart the .log in place
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(codecs.BOM_UTF8 + ccm("c").encode())
    assert messages(tailer.poll()) == ["b", "c"]


def test_rename_away_and_wait_for_new_file(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("a").encode() + b"<![LOG[unfinished")
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["a"]
    os.replace(path, tmp_path / "ccmsetup-20260101-101010.log")
    # The old generation is gone for good: what it held back is flushed as text, nothing is lost.
    assert messages(tailer.poll()) == ["<![LOG[unfinished"]
    assert not tailer.exists
    path.write_bytes(ccm("fresh").encode())
    assert messages(tailer.poll()) == ["fresh"]


def test_delete_and_recreate(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("a").encode() + ccm("b").encode())
    tailer = LogTailer(path)
    tailer.poll()
    path.unlink()
    assert tailer.poll() == []
    path.write_bytes(ccm("c").encode() + ccm("d").encode() + ccm("e").encode())  # longer than before
    assert messages(tailer.poll()) == ["c", "d", "e"]
    assert tailer.generation == 2


def test_utf16_split_at_odd_bytes(tmp_path):
    path = tmp_path / "client.msi.log"
    data = codecs.BOM_UTF16_LE + ("=== Verbose logging started: x ===\r\nAction ended 1: \u00e9t\u00e9. Return value 3."
                                  "\r\nMSI (s) (7C:10) [1]: done \U0001F600\r\n").encode("utf-16-le")
    path.write_bytes(b"")
    tailer = LogTailer(path)
    got = []
    for i in range(0, len(data), 3):  # 3-byte reads cut every other code unit in half
        append(path, data[i:i + 3])
        got += tailer.poll()
    assert messages(got) == ["=== Verbose logging started: x ===", "Action ended 1: \u00e9t\u00e9. Return value 3.",
                             "MSI (s) (7C:10) [1]: done \U0001F600"]
    assert got[1].type == 3 and tailer.encoding == "utf-16-le"
    for r in got:
        assert data[r.offset:].decode("utf-16-le").startswith(r.message[:5])


def test_utf8_multibyte_split_across_reads(tmp_path):
    path = tmp_path / "ccmsetup.log"
    data = codecs.BOM_UTF8 + ccm("caf\u00e9 \u20ac").encode() + ccm("next").encode()
    path.write_bytes(b"")
    tailer = LogTailer(path, max_read=5)
    got = []
    for i in range(0, len(data), 2):
        append(path, data[i:i + 2])
        got += tailer.poll()
    got += tailer.poll() + tailer.poll()
    assert messages(got) == ["caf\u00e9 \u20ac", "next"]
    assert data[got[1].offset:].startswith(b"<![LOG[next")


def test_start_at_end_and_at_offset(tmp_path):
    path = tmp_path / "ccmsetup.log"
    earlier = codecs.BOM_UTF8 + ccm("earlier run").encode()
    path.write_bytes(earlier)
    at_end = LogTailer(path, from_start=False)
    assert at_end.poll() == []
    launch = file_size(path)
    assert launch == len(earlier)
    append(path, ccm("new run").encode())
    assert messages(at_end.poll()) == ["new run"]
    from_offset = LogTailer(path, start_offset=launch)
    records = from_offset.poll()
    assert messages(records) == ["new run"] and records[0].offset == launch
    assert messages(LogTailer(path).poll()) == ["earlier run", "new run"]


def test_large_file_is_read_in_capped_chunks(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes("".join(ccm(f"r{i}") for i in range(200)).encode())
    tailer = LogTailer(path, max_read=1000)
    first = tailer.poll()
    assert 0 < len(first) < 200
    rest = []
    for _ in range(100):
        rest += tailer.poll()
    assert messages(first + rest) == [f"r{i}" for i in range(200)]


def test_follow_stops_on_event(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("x").encode())
    tailer = LogTailer(path, poll_interval=0.01)
    stop = threading.Event()
    batches = []
    for batch in tailer.follow(stop):
        batches.append(batch)
        stop.set()
    assert messages(batches[0]) == ["x"]


def test_file_size_missing_is_zero(tmp_path):
    assert file_size(tmp_path / "nope.log") == 0


def test_folder_tailer_follows_each_log(tmp_path):
    (tmp_path / "ccmsetup.log").write_bytes(ccm("setup").encode())
    folder = FolderTailer(tmp_path, start_offsets={"ccmsetup.log": 0})
    ccm_dir = tmp_path / "CCM"
    ccm_dir.mkdir()
    folder.add("ClientIDManagerStartup.log", path=ccm_dir / "ClientIDManagerStartup.log")
    assert [(name, messages(recs)) for name, recs in folder.poll()] == [("ccmsetup.log", ["setup"])]
    (tmp_path / "client.msi.log").write_bytes(codecs.BOM_UTF16_LE + "Action ended: Return value 3.\r\n"
                                              .encode("utf-16-le"))
    (ccm_dir / "ClientIDManagerStartup.log").write_bytes(ccm("[RegTask] - Client is registered.").encode())
    got = {name: messages(recs) for name, recs in folder.poll()}
    assert got == {"client.msi.log": ["Action ended: Return value 3."],
                   "ClientIDManagerStartup.log": ["[RegTask] - Client is registered."]}


def test_has_changed_is_a_stat_only_hint(tmp_path):
    path = tmp_path / "ccmsetup.log"
    tailer = LogTailer(path)
    assert not tailer.has_changed()  # missing and still missing
    path.write_bytes(ccm("a").encode())
    assert tailer.has_changed()
    tailer.poll()
    assert not tailer.has_changed()
    append(path, ccm("b").encode())
    assert tailer.has_changed()
    tailer.poll()
    path.unlink()
    assert tailer.has_changed()


def test_follow_delivers_between_full_polls_when_hinted(tmp_path):
    path = tmp_path / "ccmsetup.log"
    path.write_bytes(b"")
    # A full poll only every hour: delivery can only come from the stat hint.
    tailer = LogTailer(path, poll_interval=3600, hint_interval=0.01)
    stop = threading.Event()
    got = []

    def writer():
        append(path, ccm("hinted").encode())

    follow = tailer.follow(stop)
    timers = [threading.Timer(0.2, writer), threading.Timer(30, stop.set)]  # the second: a safety net
    for timer in timers:
        timer.start()
    try:
        for batch in follow:
            got += batch
            stop.set()
    finally:
        for timer in timers:
            timer.cancel()
    assert messages(got) == ["hinted"]


def test_start_at_end_of_a_file_that_does_not_exist_yet_reads_all_of_it(tmp_path):
    path = tmp_path / "ccmsetup.log"
    tailer = LogTailer(path, from_start=False)
    assert tailer.poll() == []
    path.write_bytes(ccm("first ever").encode())
    assert messages(tailer.poll()) == ["first ever"]


def test_tiny_file_is_not_lost(tmp_path):
    path = tmp_path / "x.log"
    path.write_bytes(b"ok\n")  # fewer bytes than the encoding sniffer wants
    tailer = LogTailer(path)
    assert tailer.poll() == []
    assert messages(tailer.flush()) == ["ok"]
    path.unlink()
    assert tailer.poll() == []


def test_tiny_file_rotated_away_is_flushed(tmp_path):
    path = tmp_path / "x.log"
    path.write_bytes(b"ok\n")
    tailer = LogTailer(path)
    assert tailer.poll() == []
    path.unlink()
    assert messages(tailer.poll()) == ["ok"]


def test_odd_trailing_utf16_byte_when_file_goes_away(tmp_path):
    path = tmp_path / "client.msi.log"
    path.write_bytes(codecs.BOM_UTF16_LE + "Return value 3.\r\nhalf".encode("utf-16-le") + b"x")
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["Return value 3."]
    path.unlink()
    assert messages(tailer.poll()) == ["halfx"]


# -- issue 9: the log rolled before the first poll, history copies, unreadable stats ----------------------------


def test_log_rolled_between_recorded_position_and_first_poll(tmp_path):
    from wizard.core.tail import log_position

    path = tmp_path / "ccmsetup.log"
    old = codecs.BOM_UTF8 + (ccm("old run") + ccm("old end")).encode()
    path.write_bytes(old)
    position = log_position(path)  # the session records this before the launch
    assert position.size == len(old) and position.head == old[:256]
    append(path, ccm("launch 1").encode() + ccm("launch 2").encode())
    os.replace(path, tmp_path / "ccmsetup.lo_")  # ccmsetup rolls the full log over ...
    path.write_bytes(codecs.BOM_UTF8 + ccm("launch 3").encode())  # ... and goes on in a new one
    tailer = LogTailer(path, start_position=position)
    assert messages(tailer.poll()) == ["launch 1", "launch 2", "launch 3"]
    append(path, ccm("launch 4").encode())
    assert messages(tailer.poll()) == ["launch 4"]


def test_log_recreated_with_same_size_before_first_poll_reads_the_new_file(tmp_path):
    from wizard.core.tail import log_position

    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("old AAAA").encode())
    position = log_position(path)
    path.unlink()
    path.write_bytes(ccm("new BBBB").encode())  # same length, maybe the same inode number again
    assert messages(LogTailer(path, start_position=position).poll()) == ["new BBBB"]


def test_unchanged_log_starts_at_the_recorded_position(tmp_path):
    from wizard.core.tail import log_position

    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("old").encode())
    position = log_position(path)
    append(path, ccm("new").encode())
    assert messages(LogTailer(path, start_position=position).poll()) == ["new"]
    missing = log_position(tmp_path / "nope.log")
    assert (missing.size, missing.identity, missing.head) == (0, None, b"")


def test_rotation_into_a_dated_history_copy_is_caught_up_newest_first(tmp_path):
    from wizard.core.tail import rolled_copies

    path = tmp_path / "ccmsetup.log"
    older = tmp_path / "ccmsetup-20250101-080000.log"
    older.write_bytes(ccm("an older history copy").encode())
    path.write_bytes(ccm("one").encode())
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["one"]
    append(path, ccm("two").encode())
    os.replace(path, tmp_path / "ccmsetup-20261126-101500.log")
    path.write_bytes(ccm("three").encode())
    assert messages(tailer.poll()) == ["two", "three"]
    assert [Path(p).name for p in rolled_copies(path)] == [
        "ccmsetup.lo_", "ccmsetup-20261126-101500.log", "ccmsetup-20250101-080000.log"]


def test_permission_error_from_stat_never_escapes_and_never_rereads(tmp_path, monkeypatch):
    import wizard.core.tail as tail

    path = tmp_path / "ccmsetup.log"
    path.write_bytes(ccm("one").encode())
    tailer = LogTailer(path)
    assert messages(tailer.poll()) == ["one"]
    real_stat = os.stat

    def denied(p, *a, **k):
        if os.fspath(p) == os.fspath(path):
            raise PermissionError(13, "Access is denied", os.fspath(p))
        return real_stat(p, *a, **k)

    monkeypatch.setattr(tail.os, "stat", denied)
    assert tailer.poll() == [] and isinstance(tailer.read_error, PermissionError)
    assert tailer.has_changed() in (True, False)
    monkeypatch.setattr(tail.os, "stat", real_stat)
    append(path, ccm("two").encode())
    assert messages(tailer.poll()) == ["two"]  # not "one" again
    assert tailer.read_error is None and tailer.generation == 1


def test_sharing_violation_is_told_apart():
    from wizard.core.tail import is_sharing_violation

    locked = PermissionError(13, "The process cannot access the file")
    locked.winerror = 32
    assert is_sharing_violation(locked)
    assert not is_sharing_violation(PermissionError(13, "Access is denied"))
