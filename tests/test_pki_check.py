"""The PKI client certificate check (issue 10, defect 6): what ccmsetup will do with the certificates in
LocalMachine\\My, and what to pass."""

from __future__ import annotations

import datetime

import pytest

from wizard.core.parse import parse_command
from wizard.host.base import CertInfo
from wizard.host.checks import run_checks
from wizard.host.demo import DemoHost

CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
ENTRA = f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01"
TOKEN = f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01 /regtoken:eyJa.eyJb.c"
ONPREM = "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01"
NOW = datetime.datetime.now(datetime.UTC)


def cert(subject="PC01.contoso.com", *, days_left=200, key=True, trusted=True):
    return CertInfo(subject=subject, issuer="Contoso Issuing CA 01", thumbprint="AB" * 20,
                    not_before=NOW - datetime.timedelta(days=10), not_after=NOW + datetime.timedelta(days=days_left),
                    has_private_key=key, chain_trusted=trusted, chain_detail="" if trusted else "untrusted root")


class CertHost(DemoHost):
    def __init__(self, certs, **kwargs):
        super().__init__(**kwargs)
        self._certs = certs

    def client_auth_certificates(self):
        return list(self._certs)


def check(tmp_path, certs, command):
    host = CertHost(certs, preset="entra-joined", base_dir=tmp_path, latency=0)
    return run_checks(host, parse_command(command).plan, only=["pki-client-cert"])[0]


def test_entra_plan_with_a_valid_certificate_warns_what_ccmsetup_will_do(tmp_path):
    result = check(tmp_path, [cert()], ENTRA)
    assert result.status == "warn"
    assert "installs as a PKI client" in result.detail and "Microsoft Entra ID is not used" in result.detail
    assert "PC01.contoso.com" in result.detail
    assert "/UsePKICert" in result.fix and "AADCLIENTAPPID" in result.fix


def test_token_plan_with_a_valid_certificate_names_the_token(tmp_path):
    result = check(tmp_path, [cert()], TOKEN)
    assert result.status == "warn" and "bulk registration token is not used" in result.detail


@pytest.mark.parametrize(("bad", "why"), [
    (cert(days_left=-1), "expired"),
    (cert(key=False), "no private key"),
    (cert(trusted=False), "trusted root"),
])
def test_unusable_certificates_do_not_count_and_are_named(tmp_path, bad, why):
    result = check(tmp_path, [bad], ENTRA)
    assert result.status == "pass"
    assert "will not install as a PKI client" in result.detail and why in result.detail


def test_use_pki_cert_without_a_usable_certificate_warns(tmp_path):
    result = check(tmp_path, [cert(days_left=-5)], ONPREM.replace("/mp", "/UsePKICert /mp"))
    assert result.status == "warn" and "no usable client-authentication certificate" in result.detail
    assert "enroll" in result.fix


def test_use_pki_cert_with_several_certificates_suggests_a_selection(tmp_path):
    result = check(tmp_path, [cert("A"), cert("B")], ONPREM.replace("/mp", "/UsePKICert /mp"))
    assert result.status == "pass" and "2 certificates qualify" in result.detail
    chosen = check(tmp_path, [cert("A"), cert("B")], ONPREM.replace("/mp", "/UsePKICert /mp") + " CCMFIRSTCERT=1")
    assert "qualify" not in chosen.detail


def test_onprem_http_plan_explains_use_pki_cert(tmp_path):
    result = check(tmp_path, [cert()], ONPREM)
    assert result.status == "pass" and "add /UsePKICert" in result.detail


def test_no_certificate(tmp_path):
    assert check(tmp_path, [], ENTRA).status == "pass"
