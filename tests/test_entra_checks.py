"""The Entra checks explain what dsregcmd shows (issue 10 defect 5, issue 15): a disabled device object fails
the join check, the last failed join attempt and PRT attempt are named with their codes, a stale PRT warns."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from wizard.core.parse import parse_command
from wizard.host.checks import fix_text, run_checks
from wizard.host.demo import DemoHost
from wizard.host.dsregcmd import parse_dsregcmd
from wizard.host.entra_checks import join_result, user_result

FIXTURES = Path(__file__).parent / "fixtures" / "dsregcmd"
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


def status_of(name: str, **replace: str):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_dsregcmd(text)


def join(name: str, now=NOW, **replace):
    return join_result(status_of(name, **replace), now, fix_text)


def user(name: str, now=NOW, **replace):
    return user_result(status_of(name, **replace), now, fix_text)


def test_healthy_join_passes_and_says_what_it_saw():
    status, detail, fix = join("entra-joined.txt")
    assert status == "pass" and fix == ""
    assert "Microsoft Entra joined to Contoso" in detail
    assert "device key in the TPM" in detail and "valid until 2034-01-11" in detail
    assert "Intune automatic enrollment" in detail


def test_disabled_or_deleted_device_fails_the_join_check_with_the_fix():
    status, detail, fix = join("ms-doc-device-disabled.txt")
    assert status == "fail"
    assert "disabled or deleted" in detail and "AzureAdJoined is YES" in detail
    assert "enable it" in fix and "dsregcmd /leave" in fix


def test_device_auth_test_that_could_not_run_warns():
    status, detail, fix = join("ms-doc-device-disabled.txt",
                               **{"FAILED. Device is either disabled or deleted": "FAILED. ERROR"})
    assert status == "warn" and "could not run" in detail and "winhttp" in fix


def test_expired_and_expiring_device_certificate():
    expired = join("entra-joined.txt", now=datetime.datetime(2034, 2, 1, tzinfo=datetime.UTC))
    assert expired[0] == "fail" and "expired on 2034-01-11" in expired[1]
    soon = join("entra-joined.txt", now=datetime.datetime(2034, 1, 1, tzinfo=datetime.UTC))
    assert soon[0] == "warn" and "expires on 2034-01-11" in soon[1]


def test_failed_key_sign_test_warns():
    status, detail, fix = join("entra-joined.txt", **{"KeySignTest : PASSED": "KeySignTest : FAILED"})
    assert status == "warn" and "KeySignTest is FAILED" in detail and "sign in again" in fix


def test_not_joined_names_the_last_join_attempt_and_its_codes():
    status, detail, fix = join("ms-doc-prejoin-discover-failure.txt")
    assert status == "fail"
    assert "failed in the 'discover' phase with 0x801c0021" in detail
    assert "DRS Discovery Test: FAIL [0x801c0021/0x801c000c]" in detail and "0x801c000c" in detail
    assert "Service Connection Point" in fix  # the discover-phase advice comes first


def test_sync_join_directory_error_says_wait_for_sync():
    status, detail, fix = join("ms-doc-prejoin-sync-join.txt")
    assert status == "fail"
    assert "DirectoryError" in detail and "HTTP 400" in detail and "isn't found" in detail
    assert "Entra Connect synchronization" in fix


def test_domain_joined_without_diagnostics_points_at_hybrid_join():
    status, _detail, fix = join("hybrid-joined.txt", **{"AzureAdJoined : YES": "AzureAdJoined : NO"})
    assert status == "fail" and "not hybrid joined yet" in fix


def test_missing_azure_ad_joined_is_an_error_not_a_verdict():
    status, detail, _ = join_result(parse_dsregcmd("| Device State |\n DomainJoined : YES\n"), NOW, fix_text)
    assert status == "error" and "unknown" in detail


def test_codes_read_right_with_or_without_a_table_entry(monkeypatch):
    from wizard.core import explain
    from wizard.host import entra_checks

    known = explain.Explanation("0x801c0021", "Device registration: discovery failed", "m", "c", "act", None)
    monkeypatch.setattr(entra_checks, "explain_code", lambda code, scenario=None: known
                        if code == "0x801c0021" else explain.decode_hresult(code))
    _status, detail, fix = join("ms-doc-prejoin-discover-failure.txt")
    assert "0x801c0021 (Device registration: discovery failed)" in detail
    assert "act" in fix


def test_fresh_prt_passes_with_its_age():
    status, detail, _ = user("entra-joined.txt")  # updated 08:14, now 10:00
    assert status == "pass" and "renewed 2 h ago" in detail


def test_prt_older_than_four_hours_is_stale():
    status, detail, fix = user("entra-joined.txt", now=datetime.datetime(2026, 11, 20, 12, 30, tzinfo=datetime.UTC))
    assert status == "warn"
    assert "last renewed 4 h ago" in detail and "renewal is failing" in detail
    assert "dsregcmd /refreshprt" in fix


def test_expired_prt_warns():
    status, detail, _ = user("entra-joined.txt", now=datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC))
    assert status == "warn" and "expired on 2026-12-04" in detail


def test_failed_prt_attempt_is_explained():
    status, detail, _fix_text = user("ms-doc-sso-prt-failure.txt")
    assert status == "warn"
    assert "0xc000006d" in detail and "invalid_grant" in detail and "AADSTS50126" in detail


def test_remote_session_is_mentioned():
    status, detail, _ = user("community-ragged-entra-joined.txt",
                             now=datetime.datetime(2025, 6, 2, 7, 0, tzinfo=datetime.UTC))
    assert status == "pass" and "remote session" in detail


@pytest.mark.parametrize(("preset", "check_id", "expected"), [
    ("device-disabled", "entra-join", "fail"),
    ("entra-joined", "entra-join", "pass"),
    ("pki-cert", "pki-client-cert", "warn"),
    ("entra-joined", "pki-client-cert", "pass"),
])
def test_demo_presets_show_defects_5_and_6(tmp_path, preset, check_id, expected):
    host = DemoHost(preset, base_dir=tmp_path, latency=0)
    plan = parse_command(host.sample_command()).plan
    result = run_checks(host, plan, only=[check_id])[0]
    assert result.status == expected, result.detail
    if preset == "pki-cert":
        assert "installs as a PKI client" in result.detail and "/UsePKICert" in result.fix
