"""Revocation of the MP/CMG certificate (issue 10, defect 7) against real servers on 127.0.0.1: HTTPS MPs whose
certificates name CRL/OCSP addresses served by a local HTTP server that is up, lists the certificate, serves a
stale CRL or a captive-portal page, or is down."""

from __future__ import annotations

import pytest
from netservers import pki_servers

from wizard.core.parse import parse_command
from wizard.host import netprobe
from wizard.host.checks import run_checks
from wizard.host.demo import DemoHost
from wizard.host.netprobe import NetProbe, ServerCertificate, fetch_revocation


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    with pki_servers(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture
def probe(pki):
    return NetProbe(extra_ca_file=pki.ca_file)


def certificate_of(probe, pki, kind) -> ServerCertificate:
    result = probe.https_reach("127.0.0.1", pki.ports[kind])
    assert result.ok, result.detail
    assert result.certificate is not None and result.certificate.parsed
    return result.certificate


def test_handshake_keeps_the_certificate_and_its_addresses(probe, pki):
    cert = certificate_of(probe, pki, "down")
    assert cert.subject == "CN=mp-down.contoso.test"
    assert cert.crl_urls[0].endswith("/ca.crl") and cert.ocsp_urls[0].endswith("/ocsp")
    mplist = netprobe.probe_mplist(probe, pki.mp("good"))
    assert mplist.ok and mplist.certificate is not None  # the MP probe carries it too


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("good", "good", None),
    ("revoked", "revoked", "0x80092010"),
    ("down", "offline", "0x80092013"),
    ("stale", "offline", "0x80092013"),
    ("portal", "offline", "0x80092013"),
    ("ocsp-only", "good", None),
    ("ldap-only", "unknown", None),
    ("none", "no-endpoints", None),
])
def test_revocation_verdicts(probe, pki, kind, status, code):
    result = probe.revocation(certificate_of(probe, pki, kind), timeout=2)
    assert (result.status, result.error_code) == (status, code), result.detail


def test_offline_names_each_address_and_why(probe, pki):
    result = probe.revocation(certificate_of(probe, pki, "down"), timeout=2)
    assert {e.kind for e in result.endpoints} == {"crl", "ocsp"}
    assert all(not e.reachable and "refused" in e.detail for e in result.endpoints)
    stale = probe.revocation(certificate_of(probe, pki, "stale"), timeout=2)
    assert "expired" in stale.endpoints[0].detail
    portal = probe.revocation(certificate_of(probe, pki, "portal"), timeout=2)
    assert "not with a CRL" in portal.endpoints[0].detail


def test_without_cryptography_nothing_is_claimed():
    result = fetch_revocation(NetProbe(), ServerCertificate(der=b"0", parsed=False))
    assert result.status == "not-checked" and "cryptography" in result.detail


@pytest.fixture
def bundle_without_certificate_parser(monkeypatch):
    """A PyInstaller bundle (sys.frozen) that leaves the cryptography package out, as build.spec does."""
    import sys

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    for name in [name for name in sys.modules if name == "cryptography" or name.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # every `from cryptography ...` raises ImportError


def test_a_bundle_without_the_certificate_parser_says_revocation_was_not_checked(bundle_without_certificate_parser):
    certificate = netprobe.server_certificate(b"0\x03\x02\x01\x00")
    assert not certificate.parsed
    result = fetch_revocation(NetProbe(), certificate)
    assert result.status == "not-checked"
    assert result.detail.startswith("Not checked:") and "this build has no certificate parser" in result.detail


def test_a_bundle_without_the_certificate_parser_does_not_claim_it_read_the_demo_crl(bundle_without_certificate_parser,
                                                                                     tmp_path):
    from wizard.host.demo_pki import DEMO_SERVER_CERTIFICATE

    host = DemoHost("entra-joined", base_dir=tmp_path / "host", latency=0.0)
    result = host.network().revocation(DEMO_SERVER_CERTIFICATE, timeout=2)
    (crl,) = [endpoint for endpoint in result.endpoints if endpoint.kind == "crl"]
    assert "content not checked: this build has no certificate parser" in crl.detail
    assert "CRL received" not in crl.detail and "CRL received" not in result.detail


class LocalNetHost(DemoHost):
    def __init__(self, prober, **kwargs):
        super().__init__(**kwargs)
        self._prober = prober

    def network(self):
        return self._prober


@pytest.fixture
def net_host(probe, tmp_path):
    return LocalNetHost(probe, preset="entra-joined", base_dir=tmp_path, latency=0)


def mp_check(host, command):
    return run_checks(host, parse_command(command).plan, only=["mp-reachable"], timeout=2)[0]


def test_mp_check_fails_when_the_crl_is_unreachable_and_names_nocrlcheck_with_its_tradeoff(net_host, pki):
    result = mp_check(net_host, f"ccmsetup.exe /mp:{pki.mp('down')} SMSSITECODE=P01")
    assert result.status == "fail"
    assert "0x80092013" in result.detail and "/ca.crl" in result.detail
    assert "/NoCRLCheck" in result.fix and "revoked server certificate would be accepted" in result.fix


def test_nocrlcheck_accepts_an_unreachable_crl_and_says_what_it_costs(net_host, pki):
    result = mp_check(net_host, f"ccmsetup.exe /mp:{pki.mp('down')} /NoCRLCheck SMSSITECODE=P01")
    assert result.status == "pass"
    assert "does not check revocation" in result.detail


def test_revoked_server_certificate_fails_even_with_nocrlcheck_advice_absent(net_host, pki):
    result = mp_check(net_host, f"ccmsetup.exe /mp:{pki.mp('revoked')} SMSSITECODE=P01")
    assert result.status == "fail" and "0x80092010" in result.detail
    assert "Do not work around this with /NoCRLCheck" in result.fix


def test_reachable_crl_passes(net_host, pki):
    result = mp_check(net_host, f"ccmsetup.exe /mp:{pki.mp('good')} SMSSITECODE=P01")
    assert result.status == "pass" and "CRL received" in result.detail


def test_cmg_check_probes_revocation(tmp_path, probe, pki):
    host = LocalNetHost(probe, preset="entra-joined", base_dir=tmp_path, latency=0)
    cmg = f"127.0.0.1:{pki.ports['down']}/CCM_Proxy_MutualAuth/72057594037927975"
    plan = parse_command(f"ccmsetup.exe CCMHOSTNAME={cmg} SMSSITECODE=P01 /regtoken:eyJa.eyJb.c").plan
    result = run_checks(host, plan, only=["cmg-reachable"], timeout=2)[0]
    assert result.status == "fail" and "0x80092013" in result.detail


def test_demo_fetches_the_demo_crl_over_the_simulated_network(tmp_path):
    host = DemoHost("entra-joined", base_dir=tmp_path, latency=0)
    reach = host.network().https_reach("cmg.contoso.com")
    result = host.network().revocation(reach.certificate)
    assert result.status == "good"
    assert {e.kind for e in result.endpoints} == {"crl", "ocsp"}
