"""Parser: CCM records (multi-line, odd attributes, bias), legacy, MSI, plain text, encodings, offsets, fuzz."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.core import logscan
from wizard.core.logparse import (
    BIAS_CONVENTIONS,
    MAX_BIAS,
    MIN_BIAS,
    RecordParser,
    decode_bytes,
    detect_encoding,
    iter_file_batches,
    iter_file_records,
    parse_bytes,
    parse_file,
    to_utc,
)

FIXTURES = Path(__file__).parent / "fixtures" / "logs"


def ccm(msg, *, t="13:28:46.510+480", d="01-13-2023", typ="1", thread="1456", file="ccmsetup.cpp:10632",
        comp="ccmsetup"):
    return (f'<![LOG[{msg}]LOG]!><time="{t}" date="{d}" component="{comp}" context="" type="{typ}" '
            f'thread="{thread}" file="{file}">\r\n')


def test_canonical_record_fields():
    (r,) = parse_bytes(ccm("==========[ ccmsetup started in process 10168 ]==========").encode())
    assert r.fmt == "ccm"
    assert r.message == "==========[ ccmsetup started in process 10168 ]=========="
    assert r.component == "ccmsetup" and r.context == "" and r.type == 1
    assert r.thread == "1456" and r.file == "ccmsetup.cpp:10632" and r.offset == 0
    assert r.time == datetime(2023, 1, 13, 13, 28, 46, 510000)
    assert r.bias == 480
    assert r.utc_time == datetime(2023, 1, 13, 21, 28, 46, 510000, tzinfo=UTC)


def test_negative_bias_and_type_zero():
    (r,) = parse_bytes(ccm("MSI: Action 15:32:38: CcmRestorePowerScheme.", t="15:32:38.560-120", typ="0").encode())
    assert r.bias == -120 and r.type == 0
    assert r.utc_time == datetime(2023, 1, 13, 13, 32, 38, 560000, tzinfo=UTC)


def test_multiline_message_is_one_record_with_lf_newlines():
    data = ccm("Received message '<SiteInfoReply>\r\n  <SiteInfo SiteCode=\"PS1\"/>\r\n</SiteInfoReply>'")
    data += ccm("next")
    records = parse_bytes(data.encode())
    assert [r.message for r in records] == [
        "Received message '<SiteInfoReply>\n  <SiteInfo SiteCode=\"PS1\"/>\n</SiteInfoReply>'", "next"]


def test_reordered_and_missing_attributes():
    data = '<![LOG[odd]LOG]!><type="3" component="x" time="01:02:03.004+000">\n<![LOG[bare]LOG]!><>\n'
    first, second = parse_bytes(data.encode())
    assert (first.message, first.type, first.component, first.bias) == ("odd", 3, "x", 0)
    assert first.time is None  # no date attribute
    assert second.message == "bare" and second.fmt == "ccm" and second.time is None


def test_type_attribute_out_of_range_judged_by_text():
    (r,) = parse_bytes(ccm("something failed badly", typ="7").encode())
    assert r.type == 3


def test_failure_line_keeps_written_type_1():
    (r,) = parse_bytes(ccm("CcmSetup failed with error code 0x80004005", typ="1").encode())
    assert r.type == 1 and r.message.endswith("0x80004005")


def test_unclosed_opening_runs_to_the_next_end_like_cmtrace():
    # A record ends only at `]LOG]!>` + attribute block: an opening without its own end is message text of the
    # record that does end (CMTrace shows one record), and nothing after it is lost.
    data = "<![LOG[half a rec\r\n" + ccm("whole") + ccm("next")
    records = parse_bytes(data.encode())
    assert [(r.fmt, r.message) for r in records] == [("ccm", "half a rec\n<![LOG[whole"), ("ccm", "next")]
    assert records[0].offset == 0 and records[0].thread == "1456"


def test_truncated_record_at_end_of_file_becomes_plain():
    data = ccm("whole") + "<![LOG[half a rec\r\nsecond line"
    records = parse_bytes(data.encode())
    assert [(r.fmt, r.message) for r in records] == [
        ("ccm", "whole"), ("plain", "<![LOG[half a rec"), ("plain", "second line")]
    assert records[1].offset == len(ccm("whole"))


def test_legacy_format():
    records = parse_file(FIXTURES / "legacy_cmg.log")
    assert [r.fmt for r in records] == ["legacy"] * 3
    assert records[0].component == "SMS_SITE_SYSTEM_STATUS_SUMMARIZER" and records[0].thread == "4840"
    assert records[0].time == datetime(2016, 12, 6, 3, 11, 46, 39000) and records[0].bias == 300
    assert records[1].message == "RequestUri: /CCM_PROXY_SERVERAUTH/72057594037937981/CCM_STS  RequestCount: 1\n" \
                                 "AverageElapsedTime: 218 ms"
    assert records[2].type == 3


def test_msi_verbose_utf16_log():
    records = parse_file(FIXTURES / "client.msi.log")
    assert all(r.fmt == "msi" for r in records)
    failing = [r for r in records if "Return value 3" in r.message]
    assert len(failing) == 2 and all(r.type == 3 for r in failing)
    data = (FIXTURES / "client.msi.log").read_bytes()
    for r in records:  # offsets point at the record's first byte in the UTF-16 file
        assert data[r.offset:].decode("utf-16-le", "replace").startswith(r.message[:10])


def test_plain_cp1252_fallback_and_severity():
    records = parse_file(FIXTURES / "plain_cp1252.log")
    assert [r.type for r in records] == [1, 2, 3, 1]
    assert records[3].message == "Done: d\u00e9j\u00e0 vu"
    assert detect_encoding((FIXTURES / "plain_cp1252.log").read_bytes())[0] == "cp1252"


@pytest.mark.parametrize("encoding, bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-8", b"")])
def test_bom_sniffing_and_byte_offsets(encoding, bom):
    text = ccm("caf\u00e9 first") + "plain line \u20ac\r\n" + ccm("second")
    data = bom + text.encode(encoding)
    records = parse_bytes(data)
    assert [r.message for r in records] == ["caf\u00e9 first", "plain line \u20ac", "second"]
    for r in records:
        assert data[r.offset:r.offset + len("x".encode(encoding)) * 2].decode(encoding) in ("<!", "pl")


def test_utf16_without_bom_is_detected():
    text, encoding = decode_bytes(ccm("hi").encode("utf-16-le"))
    assert encoding == "utf-16-le" and "hi" in text


def test_invalid_utf8_in_utf8_file_never_raises_and_keeps_offsets():
    data = codecs.BOM_UTF8 + ccm("ok \u00e9").encode() + b"bad \xff\xfe bytes\r\n" + ccm("after").encode()
    records = parse_bytes(data)
    assert [r.message for r in records][-1] == "after"
    assert data[records[-1].offset:].startswith(b"<![LOG[after")


def test_fixture_two_process_log_parses_every_record():
    data = (FIXTURES / "ccmsetup_two_process_404.log").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    records = parse_bytes(data)
    assert len(records) == 20 and all(r.fmt == "ccm" for r in records)
    assert records[-1].message == "CcmSetup failed with error code 0x80190194" and records[-1].type == 1
    assert all(data[r.offset:].startswith(b"<![LOG[") for r in records)


def test_since_offset_skips_earlier_runs():
    path = FIXTURES / "ccmsetup_two_process_404.log"
    records = parse_file(path, since_offset=760)
    assert records[0].message == "==========[ ccmsetup started in process 10168 ]=========="


def test_incremental_feed_matches_whole_parse_at_every_split():
    text = ccm("a\r\nmulti") + "plain\r\n" + ccm("b") + "<![LOG[cut" + "\r\n" + ccm("c")
    expected = parse_bytes(text.encode())
    for split in range(1, len(text)):
        parser = RecordParser("utf-8")
        got = parser.feed(text[:split], 0) + parser.feed(text[split:]) + parser.flush()
        assert got == expected, split


def test_incremental_holds_partial_record_until_closing_bracket():
    parser = RecordParser("utf-8")
    line = ccm("complete me")
    assert parser.feed(line[:-3], 0) == []  # attribute block not closed yet
    (r,) = parser.feed(line[-3:])
    assert r.message == "complete me" and r.offset == 0
    assert parser.feed("partial plain") == []
    assert [x.message for x in parser.flush()] == ["partial plain"]


def test_blank_input_and_whitespace():
    assert parse_bytes(b"") == []
    assert parse_bytes(b"\r\n\r\n   \n") == []


_FRAGMENTS = st.sampled_from([
    "<![LOG[", "]LOG]!>", "<", ">", '"', 'time="', "\r\n", "\n", "$$<", "><thread=1 (0x1)>", "x", "\u00e9",
    ccm("rec"), 'type="3"', "MSI (s) (", "Return value 3",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_fuzz_arbitrary_bytes_never_raise(data):
    records = parse_bytes(data)
    for r in records:
        assert 0 <= r.offset < max(len(data), 1)
        assert (r.time, r.bias, r.utc_time) is not None  # lazy fields must not raise either


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40), st.data())
def test_fuzz_truncated_records_are_found_where_they_start(fragments, data):
    text = "".join(fragments)
    raw = text.encode("utf-8")
    records = parse_bytes(raw)
    offsets = [r.offset for r in records]
    assert offsets == sorted(set(offsets))
    for r in records:
        source = raw[r.offset:].decode("utf-8").replace("\r\n", "\n")
        if r.fmt == "ccm":
            assert source.startswith("<![LOG[" + r.message)
        elif r.fmt in ("plain", "msi"):
            assert source.startswith(r.message)
    # Every non-blank line of text that holds no CCM marker at all is a record of its own.
    if "<![LOG[" not in text and "]LOG]!>" not in text:
        lines = [ln.rstrip("\r") for ln in text.split("\n") if ln.strip()]
        assert len(records) == len(lines)
    cut = data.draw(st.integers(0, len(text)))
    parser = RecordParser("utf-8")
    incremental = parser.feed(text[:cut], 0) + parser.feed(text[cut:]) + parser.flush()
    assert incremental == records


_FUZZ_INPUT = st.tuples(
    st.one_of(st.binary(max_size=400),
              st.lists(st.one_of(_FRAGMENTS, st.just("\x00")), max_size=30).map(lambda f: "".join(f).encode())),
    st.integers(0, 400))


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_FUZZ_INPUT, min_size=10, max_size=10))
def test_fuzz_slow_100k(inputs):
    # 10,000 examples x 10 inputs: 100,000 fuzzed logs (drawing them in tens costs a third of the time).
    for data, cut in inputs:
        for r in parse_bytes(data):
            assert (r.time, r.bias, r.bias_valid, r.utc_time) is not None
        for encoding in ("utf-8", "cp1252", "utf-16-le"):
            parser = RecordParser(encoding)
            text = data.decode(encoding, "surrogatepass" if encoding.startswith("utf-16") else "surrogateescape") \
                if not (encoding.startswith("utf-16") and len(data) % 2) else ""
            whole = parser.feed(text, 0) + parser.flush()
            parser = RecordParser(encoding)
            assert parser.feed(text[:cut], 0) + parser.feed(text[cut:]) + parser.flush() == whole


# ---------------------------------------------------------------------------------------------------------------
# Streaming reader


_STREAM_PIECES = st.sampled_from([
    ccm("one"), ccm("multi\r\nline\r\nmessage"), ccm("caf\u00e9 \u20ac \U0001f600"), "plain line\r\n", "\u00e9\u00e8\n",
    "<![LOG[cut", "]LOG]!>", "\r\n", "\n", "x", " ", "MSI (s) (C4:2C) [10:00:00:000]: Return value 3.\r\n",
    "msg  $$<Comp><12-06-2016 03:11:46.039+300><thread=4840 (0x12E8)>\r\n", '<![LOG[a]LOG]!><time="1"\r\n>',
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_STREAM_PIECES, max_size=25), st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be",
                                                              "cp1252-ish"]),
       st.integers(1, 64), st.integers(0, 400), st.binary(max_size=3))
def test_iter_file_records_equals_parse_bytes_and_parse_file(tmp_path_factory, pieces, encoding, chunk_size, since, junk):
    text = "".join(pieces)
    if encoding == "utf-8-sig":
        data = codecs.BOM_UTF8 + text.encode("utf-8")
    elif encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    elif encoding == "utf-16-be":
        data = text.encode("utf-16-be")  # no BOM: sniffed from the NUL bytes
    elif encoding == "cp1252-ish":
        data = text.encode("utf-8") + b"\xe9t\xe9\r\n"  # not valid UTF-8: Windows-1252 fallback or escapes
    else:
        data = text.encode("utf-8")
    data += junk  # a cut sequence or odd byte at the very end
    path = tmp_path_factory.mktemp("stream") / "x.log"
    path.write_bytes(data)
    expected = [r for r in parse_bytes(data) if r.offset >= since]
    got = list(iter_file_records(path, since_offset=since, chunk_size=chunk_size))
    assert got == expected
    assert [r.offset for r in got] == [r.offset for r in expected]
    assert parse_file(path, since_offset=since) == expected
    batches = list(iter_file_batches(path, since_offset=since, chunk_size=chunk_size))
    assert all(batches) and [r for batch in batches for r in batch] == expected


def test_iter_file_records_is_lazy_and_reads_in_chunks(tmp_path, monkeypatch):
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(ccm(f"record {i}").encode() for i in range(2000)))
    reads = []
    real_open = open

    def spy_open(*args, **kwargs):
        fh = real_open(*args, **kwargs)
        real_read = fh.read

        def read(size=-1):
            reads.append(size)
            return real_read(size)

        fh.read = read
        return fh

    monkeypatch.setattr("builtins.open", spy_open)
    it = iter_file_records(path, chunk_size=4096)
    first = next(it)
    assert first.message == "record 0" and all(0 < size <= 65536 for size in reads)
    rest = list(it)
    assert len(rest) == 1999 and rest[-1].message == "record 1999"
    assert all(0 < size <= 65536 for size in reads)


def test_iter_file_records_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        list(iter_file_records(tmp_path / "missing.log"))


# ---------------------------------------------------------------------------------------------------------------
# Bias


def test_bias_windows_convention_and_to_utc():
    (r,) = parse_bytes(ccm("x", t="10:00:00.000+360").encode())
    assert r.bias == 360 and r.bias_valid
    assert r.utc_time == datetime(2023, 1, 13, 16, 0, tzinfo=UTC)
    assert to_utc(r.time, r.bias) == r.utc_time
    assert to_utc(r.time, r.bias, "offset") == datetime(2023, 1, 13, 4, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        to_utc(r.time, r.bias, "eastern")
    assert BIAS_CONVENTIONS == ("windows", "offset") and (MIN_BIAS, MAX_BIAS) == (-840, 720)


@pytest.mark.parametrize("written, bias", [("+-480", -480), ("-480", -480), ("+000", 0), ("+00", 0), ("-120", -120)])
def test_bias_number_as_written(written, bias):
    (r,) = parse_bytes(ccm("x", t=f"10:00:00.000{written}").encode())
    assert r.bias == bias and r.bias_valid
    assert r.utc_time == datetime(2023, 1, 13, 10, 0, tzinfo=UTC) + timedelta(minutes=bias)


@pytest.mark.parametrize("written", ["+99999", "-99999", "+721", "-841"])
def test_bias_out_of_range_keeps_local_time_without_utc(written):
    (r,) = parse_bytes(ccm("x", t=f"10:00:00.000{written}").encode())
    assert r.time == datetime(2023, 1, 13, 10, 0)
    assert r.bias == int(written) and not r.bias_valid and r.utc_time is None
    assert to_utc(r.time, r.bias) is None


def test_bias_edges_are_valid_and_absent_bias_is_not_invalid():
    for written, ok in (("+720", True), ("-840", True)):
        (r,) = parse_bytes(ccm("x", t=f"10:00:00.000{written}").encode())
        assert r.bias_valid is ok and r.utc_time is not None
    assert to_utc(datetime(2026, 1, 1), 840, "offset") == datetime(2025, 12, 31, 10, 0, tzinfo=UTC)
    assert to_utc(datetime(2026, 1, 1), -840, "offset") is None
    (r,) = parse_bytes(ccm("x", t="10:00:00.000").encode())
    assert r.bias is None and r.bias_valid and r.utc_time is None and r.time == datetime(2023, 1, 13, 10, 0)
    assert to_utc(None, 60) is None and to_utc(datetime(2026, 1, 1), None) is None


# ---------------------------------------------------------------------------------------------------------------
# Record boundaries (issue 15): one record as CMTrace shows it


def test_message_holding_a_literal_opening_is_one_record():
    inner = '<![LOG[Installing]LOG]!>'  # a script logging its own log line format
    data = ccm("first") + ccm(f"Write-Log wrote: {inner} and <![LOG[ again") + ccm("last")
    records = parse_bytes(data.encode())
    assert [r.message for r in records] == ["first", f"Write-Log wrote: {inner} and <![LOG[ again", "last"]
    assert all(r.fmt == "ccm" and r.thread == "1456" for r in records)
    assert records[1].offset == len(ccm("first")) and records[2].offset == len(ccm("first")) * 2 + len(
        f"Write-Log wrote: {inner} and <![LOG[ again") - len("first")


def test_message_starting_with_a_literal_opening_is_one_record():
    data = ccm("<![LOG[nested") + ccm("next")
    assert [r.message for r in parse_bytes(data.encode())] == ["<![LOG[nested", "next"]


@pytest.mark.parametrize("block", [
    'time="10:00:00.000+480" date="01-13-2023"\r\n component="ccmsetup" context="" type="3" thread="7" file="">',
    'time="10:00:00.000+480"\n\tdate="01-13-2023" component="ccmsetup" context="" type="3" thread="7" file="">',
    'time="10:00:00.000+480" date="01-13-2023" component="ccm\r\nsetup" context="" type="3" thread="7" file="">',
    'component="ccmsetup" time="10:00:00.000+480" date="01-13-2023"\r\n type="3" thread="7">',
])
def test_attribute_block_with_a_line_break_is_one_record(block):
    data = ccm("before") + "<![LOG[Failed to download]LOG]!><" + block + "\r\n" + ccm("after")
    records = parse_bytes(data.encode())
    assert [(r.fmt, r.message) for r in records] == [
        ("ccm", "before"), ("ccm", "Failed to download"), ("ccm", "after")]
    r = records[1]
    assert r.type == 3 and r.thread == "7" and r.time == datetime(2023, 1, 13, 10, 0) and r.bias == 480
    assert r.component.replace("\r\n", "") == "ccmsetup" and r.offset == len(ccm("before"))


@pytest.mark.parametrize("marker", ["]LOG]!>", "]LOG]!> ", "]LOG]!><", "]LOG]!><b>", ']LOG]!><a="x" b>'])
def test_stray_end_marker_without_attribute_block_stays_in_the_message(marker):
    data = ccm(f"text {marker} more") + ccm("next")
    assert [r.message for r in parse_bytes(data.encode())] == [f"text {marker} more", "next"]


def test_text_around_records_on_the_same_line_stays_visible():
    data = "lead " + ccm("rec").rstrip("\r\n") + " trail\r\n"
    records = parse_bytes(data.encode())
    assert [(r.fmt, r.message, r.offset) for r in records] == [
        ("plain", "lead ", 0), ("ccm", "rec", 5), ("plain", " trail", len(data) - len(" trail\r\n"))]


def test_every_parse_path_gives_the_same_records():
    body = "".join(ccm(f"record {i}", typ=str(i % 4), thread=str(i)) for i in range(50))
    clean = parse_bytes(body.encode())  # column-wise fast path
    odd = parse_bytes(("<![LOG[x]LOG]!>stray\r\n" + body).encode())  # the scanner from the start
    shift = len("<![LOG[x]LOG]!>stray\r\n")
    assert odd[0].fmt == "ccm" and odd[0].message.startswith("x]LOG]!>stray")
    assert [r._replace(offset=r.offset - shift) for r in odd[1:]] == clean[1:]
    utf16 = parse_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))  # record by record, byte offsets
    assert [(r.message, r.type, r.thread) for r in utf16] == [(r.message, r.type, r.thread) for r in clean]
    assert [r.offset for r in utf16] == [2 + 2 * r.offset for r in clean]


def test_type_zero_is_kept_and_empty_thread_is_none():
    fast = parse_bytes((ccm("a", typ="0", thread="") + ccm("b")).encode())
    assert [(r.type, r.thread) for r in fast] == [(0, None), (1, "1456")]
    general = parse_bytes(b'<![LOG[c]LOG]!><type="0" thread="" time="01:02:03.000+000">\n')
    assert [(r.type, r.thread) for r in general] == [(0, None)]
    scanned = parse_bytes(("<![LOG[x]LOG]!>y " + ccm("d", thread="")).encode())
    assert [r.thread for r in scanned] == [None]


# ---------------------------------------------------------------------------------------------------------------
# Plain lines: severity words and timestamps (issue 15)


@pytest.mark.parametrize("line, severity", [
    ("Failover to backup server", 1), ("Connection failed", 3), ("FAILED: 0x80070005", 3), ("fail", 3),
    ("Install failure, see log", 3), ("2 failures", 3), ("ERROR: cannot open", 3), ("error_code=5", 3),
    ("Error:0x5", 3), ("Fatal exception", 3), ("System.IO.IOException: access denied", 3), ("Exception: x", 3), ("Exceptional", 1),
    ("returned ERROR_SUCCESS", 1), ("returned ERROR_FILE_NOT_FOUND", 3), ("errorlevel is 0", 1),
    ("Warning: low disk", 2), ("WARN something", 2), ("3 warnings", 2), ("Forewarned is forearmed", 1),
    ("Terror alert", 1), ("Failsafe mode", 1), ("All good", 1), ("Warning but also an error", 3),
])
def test_plain_severity_from_whole_words(line, severity):
    (r,) = parse_bytes(line.encode())
    assert r.fmt == "plain" and r.type == severity


def test_legacy_and_msi_severity_use_whole_words():
    legacy = "Failover done  $$<SMS_X><12-06-2016 03:11:46.039+300><thread=1 (0x1)>\r\n" \
             "Request failed  $$<SMS_X><12-06-2016 03:11:46.039+300><thread=1 (0x1)>\r\n"
    assert [(r.fmt, r.type) for r in parse_bytes(legacy.encode())] == [("legacy", 1), ("legacy", 3)]
    msi = ("=== Verbose logging started: 11/26/2026  10:00:00 ===\r\n"
           "MSI (s) (C4:2C) [10:00:00:000]: Product: Configuration Manager Client -- Error 1603. Fatal.\r\n"
           "MSI (s) (C4:2C) [10:00:00:001]: Failover note\r\n"
           "MSI (s) (C4:2C) [10:00:00:002]: Warning 1946.\r\n"
           "Action ended 10:00:00: InstallFinalize. Return value 3.\r\n")
    assert [r.type for r in parse_bytes(msi.encode())] == [1, 3, 1, 2, 3]


@pytest.mark.parametrize("line, local, bias", [
    ("2026-11-26 10:00:00 Service started", datetime(2026, 11, 26, 10), None),
    ("2026-11-26T10:00:00.123Z started", datetime(2026, 11, 26, 10, 0, 0, 123000), 0),
    ("2026-11-26T10:00:00+01:00 started", datetime(2026, 11, 26, 10), -60),
    ("2026-11-26 10:00:00.1234567-0500 x", datetime(2026, 11, 26, 10, 0, 0, 123456), 300),
    ("2026-11-26 10:00:00,250 INFO x", datetime(2026, 11, 26, 10, 0, 0, 250000), None),
    ("2026-03-23 14:30:00, Info  CBS  Loaded servicing stack", datetime(2026, 3, 23, 14, 30), None),
    ("[2026-11-26 10:00:00] bracketed", datetime(2026, 11, 26, 10), None),
    ("2026/11/26 10:00:00 year first", datetime(2026, 11, 26, 10), None),
    ("11/26/2026 10:00:00 AM US", datetime(2026, 11, 26, 10), None),
    ("11/26/2026 12:05:00 AM US", datetime(2026, 11, 26, 0, 5), None),
    ("1/5/2026 9:03:07 PM US", datetime(2026, 1, 5, 21, 3, 7), None),
    ("11/26/2026 22:00:00 US 24h", datetime(2026, 11, 26, 22), None),
    ("11-26-2026 10:00:00 CCM order", datetime(2026, 11, 26, 10), None),
    ("26.11.2026 10:00:00 EU", datetime(2026, 11, 26, 10), None),
    ("05.01.2026 10:00:00.5 EU day first", datetime(2026, 1, 5, 10, 0, 0, 500000), None),
    ("26/11/2026 10:00:00 not US", None, None),  # a slash date is month/day: never guessed
    ("11/26/2026 13:00:00 PM", None, None),
    ("2026-13-01 10:00:00 bad month", None, None),
    ("no date 2026-11-26 10:00:00", None, None),
    ("2026-11-26 message without time", None, None),
    ("10:00:00 time only", None, None),
])
def test_plain_line_timestamps(line, local, bias):
    (r,) = parse_bytes(line.encode())
    assert r.fmt == "plain" and r.message == line
    assert (r.time, r.bias) == (local, bias)
    if local is not None and bias is not None:
        assert r.utc_time == (local + timedelta(minutes=bias)).replace(tzinfo=UTC)


def test_legacy_invalid_bias_keeps_local_time():
    line = "x  $$<SMS_X><12-06-2016 03:11:46.039+99999><thread=1 (0x1)>"
    (r,) = parse_bytes(line.encode())
    assert r.fmt == "legacy" and r.time == datetime(2016, 12, 6, 3, 11, 46, 39000)
    assert r.bias == 99999 and not r.bias_valid and r.utc_time is None


# ---------------------------------------------------------------------------------------------------------------
# The rules of the module docstring, against a slow and obvious reference, whole and fed in pieces


def _reference(text: str, limit: int) -> list:
    """(fmt, message, offset) for ASCII text without legacy/MSI lines, straight from the documented rules."""
    out = []

    def plain(a, b):
        for line in text[a:b].split("\n"):
            for i in range(0, max(len(line), 1), limit):
                piece = line[i:i + limit]
                if piece.rstrip("\r").strip():
                    out.append(("plain", piece.rstrip("\r"), a + i))
            a += len(line) + 1

    pos = 0
    while pos < len(text):
        start = text.find("<![LOG[", pos)
        if start < 0:
            plain(pos, len(text))
            break
        end = None
        e = text.find("]LOG]!>", start + 7)
        while 0 <= e <= start + 7 + limit:
            end = logscan.HEAD.match(text, e)
            if end:
                break
            e = text.find("]LOG]!>", e + 1)
        if end:
            plain(pos, start)
            out.append(("ccm", text[start + 7:e].replace("\r\n", "\n"), start))
            pos = end.end()
        else:
            plain(pos, min(len(text), start + 7 + limit))
            pos = start + 7 + limit
    return out


_RULE_PIECES = st.sampled_from([
    "<![LOG[", "]LOG]!>", "]LOG]!><", '<time="1"', ' a="x"', '"', ">", "<", "\r\n", "\n", "\r", " ", "x", "yz",
    "x" * 30, ccm("rec"), ccm("two\r\nlines"), '<![LOG[m]LOG]!><a="1"\r\n b="2">', "]LOG]!><>", 'c="<![LOG[">',
    "]LOG]!><a=\"", "=",
])


def _feed_in_pieces(text: str, cuts: list, encoding: str = "utf-8") -> list:
    parser = RecordParser(encoding)
    points = sorted({min(c, len(text)) for c in cuts}) + [len(text)]
    records, last = parser.feed("", 0), 0
    for point in points:
        records += parser.feed(text[last:point])
        last = point
    return records + parser.flush()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_RULE_PIECES, max_size=30), st.sampled_from([9, 16, 40, 1 << 22]), st.data())
def test_records_follow_the_documented_rules_whole_and_in_pieces(pieces, limit, data):
    text = "".join(pieces)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RecordParser, "max_record_chars", limit)
        whole = parse_bytes(text.encode())
        cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
        pieces_fed = _feed_in_pieces(text, cuts)
        bytewise = _feed_in_pieces(text, list(range(len(text)))) if len(text) < 400 else pieces_fed
    expected = _reference(text, limit)
    assert [("ccm" if r.fmt == "ccm" else "plain", r.message, r.offset) for r in whole] == expected
    assert pieces_fed == whole
    assert bytewise == whole


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_RULE_PIECES, st.sampled_from(["\u00e9", "\u20ac", "\U0001f600", "\udcff"])),
                max_size=25),
       st.sampled_from(["utf-8", "utf-16-le", "cp1252"]), st.lists(st.integers(0, 300), max_size=10))
def test_pieces_equal_whole_in_every_encoding(pieces, encoding, cuts):
    text = "".join(pieces)
    if encoding == "cp1252":
        text = text.encode("utf-8", "surrogatepass").decode("cp1252", "surrogateescape")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RecordParser, "max_record_chars", 16)
        parser = RecordParser(encoding)
        whole = parser.feed(text, 3) + parser.flush()
        parser = RecordParser(encoding)
        points = sorted({min(c, len(text)) for c in cuts}) + [len(text)]
        fed, last = parser.feed("", 3), 0
        for point in points:
            fed += parser.feed(text[last:point])
            last = point
        fed += parser.flush()
    assert fed == whole


def test_held_back_text_is_bounded_and_offsets_continue(monkeypatch):
    monkeypatch.setattr(RecordParser, "max_record_chars", 100)
    parser = RecordParser("utf-8")
    records = parser.feed("", 0)
    text = "<![LOG[" + "x" * 1000 + ccm("after")
    for ch in text:
        records += parser.feed(ch)
        assert len(parser.pending_text) <= 2 * 100 + 20
    records += parser.flush()
    assert records == parse_bytes(text.encode())
    assert records[-1].message == "after" and records[-1].fmt == "ccm"
    assert "".join(r.message for r in records[:-1]) == text[:text.index("<![LOG[after")]
    assert parser.pending_offset == len(text)


def test_iter_file_records_memory_is_bounded_by_the_chunk_not_the_file(tmp_path):
    import tracemalloc

    path = tmp_path / "big.log"
    record = ccm("Downloading file https://cmg.example/CCM_Client/client.msi 42% complete")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for _ in range(8_000_000 // len(record)):
            fh.write(record)
    size = path.stat().st_size
    count = 0
    tracemalloc.start()
    try:
        for r in iter_file_records(path, chunk_size=64 << 10):
            count += 1
            assert r.message.endswith("complete")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == size // len(record)
    assert peak < 2 << 20, peak  # the records of one 64 KiB chunk and the text held back, never the file


# ---------------------------------------------------------------------------------------------------------------
# The column-wise bulk path (canonical records back to back) against the record-by-record path


_BULK_MESSAGES = st.sampled_from([
    "plain", "", "two\r\nlines", "ends with LF\n", "caf\u00e9 \u20ac", "emoji \U0001f600", "holds <![LOG[ inside",
    "stray ]LOG]!> marker", 'stray ]LOG]!><a="1"> generic block', "]LOG]!><time=\"1\">", "quote \" and > and <",
    "x" * 50, "CcmSetup failed with error code 0x80004005",
])
_BULK_GAPS = st.sampled_from(["", "", "", "", "\r\n", " ", "plain line\r\n", "<![LOG[", "]LOG]!>", "\udcff"])


def _bulk_record(draw) -> str:
    msg = draw(_BULK_MESSAGES)
    typ = draw(st.sampled_from(["0", "1", "2", "3", "", "7", "x"]))
    thread = draw(st.sampled_from(["", "12", "4096"]))
    end = draw(st.sampled_from(["\r\n", "\n", ""]))
    return (f'<![LOG[{msg}]LOG]!><time="10:00:0{len(msg) % 10}.000+480" date="01-13-2023" component="ccmsetup" '
            f'context="" type="{typ}" thread="{thread}" file="f.cpp:1">{end}')


@st.composite
def _bulk_texts(draw) -> str:
    parts = [draw(st.sampled_from(["", "", " \r\n", "lead\r\n"]))]
    for _ in range(draw(st.integers(0, 25))):
        parts.append(_bulk_record(draw))
        parts.append(draw(_BULK_GAPS))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bulk_texts(), st.sampled_from(["utf-8", "utf-16-le", "cp1252"]), st.sampled_from([12, 60, 1 << 22]),
       st.lists(st.integers(0, 2000), max_size=6))
def test_bulk_path_gives_the_records_of_the_record_by_record_path(text, encoding, limit, cuts):
    """The canonical bulk path (`_emit_canonical`) is an optimisation only: with it switched off every text,
    whole or fed in pieces, in every encoding and with a short record limit, gives the same records."""
    if encoding == "cp1252":
        text = text.replace("\u20ac", "E").replace("\U0001f600", ":)").replace("\udcff", "?")
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-16") else "surrogateescape")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RecordParser, "max_record_chars", limit)
        fast = parse_bytes(data)
        fast_pieces = _feed_in_pieces(text, cuts, encoding)
        lean_parser = RecordParser(encoding, lean=True)
        lean = lean_parser.feed(text) + lean_parser.flush()
        sharing = RecordParser(encoding, share=True)
        shared = sharing.feed(text) + sharing.flush()
        mp.setattr(RecordParser, "_emit_canonical", lambda self, text, base, out: (0, 0))
        slow = parse_bytes(data)
        slow_pieces = _feed_in_pieces(text, cuts, encoding)
    assert fast == slow
    assert fast_pieces == slow_pieces == shared
    judged = ("message", "component", "type", "thread", "fmt", "time_text", "date_text")
    assert [tuple(getattr(r, f) for f in judged) for r in lean] == [tuple(getattr(r, f) for f in judged)
                                                                   for r in slow_pieces]
    assert all(r.offset == s.offset or (r.offset == -1 and not r.file and not r.context)
               for r, s in zip(lean, slow_pieces, strict=True))


def test_bulk_path_is_taken_for_canonical_records_and_stops_at_the_first_odd_one():
    body = "".join(ccm(f"record {i}", thread=str(i)) for i in range(20))
    odd = ccm("odd ]LOG]!><a=\"1\"> rest")
    parser = RecordParser("utf-8")
    out: list = []
    chars, nbytes = parser._emit_canonical(body + odd + body, 0, out)
    assert [r.message for r in out] == [f"record {i}" for i in range(20)]
    assert chars == nbytes == len(body)
    assert parse_bytes((body + odd + body).encode())[20].message == "odd "


_SEVERITY_WORDS = st.sampled_from(["error", "Errors", "ERROR_SUCCESS", "fail", "FAILED", "failover", "Fatal",
                                   "IOException", "exceptions", "warn", "Warnings", "warned", "prewarn", "x", " ",
                                   "_", "1", "Return value 3", "Error 1603.", "returned actual error code",
                                   "Product: client -- Error", "\u0130", "FA\u0131L", "\u017f", "caf\u00e9", ":"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_SEVERITY_WORDS, max_size=8))
def test_severity_shortcuts_agree_with_the_patterns(words):
    """The substring shortcut in front of the severity patterns never changes a verdict."""
    from wizard.core import logparse

    line = "".join(words)
    plain = 3 if logparse._ERROR_WORD.search(line) else 2 if logparse._WARNING_WORD.search(line) else 1
    assert logparse._text_severity(line) == plain
    low = line.lower()
    product = low.find("product: ")
    msi = (3 if logparse._MSI_ERROR.search(line) or (product >= 0 and low.find(" -- error", product + 9) >= 0)
           else 2 if logparse._WARNING_WORD.search(line) else 1)
    assert logparse._msi_severity(line) == msi
