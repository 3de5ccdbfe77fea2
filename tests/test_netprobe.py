"""Network probes against real local servers on 127.0.0.1: each failure kind is named."""

import socket

import pytest
from netservers import (
    CCMSETUP_BYTES,
    ONBOARDED_TENANT,
    OTHER_TENANT,
    UNRESOLVABLE_HOST,
    local_servers,
)

from wizard.host import netprobe
from wizard.host.netprobe import NetProbe, probe_cmg_auth_info, probe_mplist


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with local_servers(tmp_path_factory.mktemp("ca")) as running:
        yield running


@pytest.fixture
def probe(servers):
    return NetProbe(extra_ca_file=servers.trusted_ca_file)


def test_https_mp_with_trusted_ca_answers_mplist(probe, servers):
    result = probe_mplist(probe, servers.https_mp)
    assert result.ok, result.detail
    assert result.status == 200
    assert b"<MPList>" in result.body


def test_plain_http_mp_without_scheme(probe, servers):
    result = probe_mplist(probe, servers.http_mp)
    assert result.ok, result.detail
    assert result.target == f"http://127.0.0.1:{servers.http_port}/SMS_MP/.sms_aut?MPLIST"


def test_untrusted_ca_is_named_invalid_ca(probe, servers):
    result = probe_mplist(probe, f"https://127.0.0.1:{servers.untrusted_port}")
    assert not result.ok
    assert result.failure == netprobe.TLS_UNTRUSTED
    assert result.winhttp_name == "INVALID_CA"
    assert "INVALID_CA" in result.detail


def test_default_trust_store_does_not_know_the_test_ca(servers):
    result = NetProbe().https_reach("127.0.0.1", servers.https_port)
    assert result.failure == netprobe.TLS_UNTRUSTED


def test_certificate_for_another_name_is_cert_cn_invalid(probe, servers):
    result = probe.https_reach("127.0.0.1", servers.wrong_name_port)
    assert result.failure == netprobe.TLS_NAME_MISMATCH
    assert result.winhttp_name == "CERT_CN_INVALID"


def test_host_name_verified_through_injected_resolver(servers):
    def resolver(host, port):
        assert host == "mp01.contoso.test"
        return socket.getaddrinfo("127.0.0.1", port, type=socket.SOCK_STREAM)

    probe = NetProbe(extra_ca_file=servers.trusted_ca_file, resolver=resolver)
    assert probe.https_reach("mp01.contoso.test", servers.https_port).ok


def test_refused_port(probe, servers):
    result = probe_mplist(probe, f"http://127.0.0.1:{servers.refused_port}")
    assert result.failure == netprobe.TCP_REFUSED
    assert "refused" in result.detail


def test_unresolvable_host_is_a_dns_failure(probe):
    result = probe_mplist(probe, UNRESOLVABLE_HOST)
    assert result.failure == netprobe.DNS
    assert UNRESOLVABLE_HOST in result.detail


def test_tcp_timeout_is_named():
    # a listener whose accept queue is full drops new SYNs: connect() times out, on 127.0.0.1 only
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port), timeout=1)
        try:
            result = NetProbe().https_reach("127.0.0.1", port, timeout=0.3)
        finally:
            filler.close()
    assert result.failure == netprobe.TCP_TIMEOUT
    assert "no answer" in result.detail


def test_silent_server_is_a_tls_timeout():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        result = NetProbe().https_reach("127.0.0.1", listener.getsockname()[1], timeout=0.3)
    assert result.failure == netprobe.TIMEOUT
    assert "TLS handshake" in result.detail


def test_server_that_is_not_an_mp(probe, servers):
    result = probe_mplist(probe, f"{servers.https_mp}/not-an-mp")
    assert result.failure == netprobe.BAD_RESPONSE
    assert "not with an MP list" in result.detail


def test_http_status_is_reported(probe, servers):
    result = probe.http_get(f"{servers.https_mp}/missing")
    assert result.failure == netprobe.HTTP_STATUS
    assert result.status == 404


def test_cmg_answers_for_onboarded_tenant(probe, servers):
    result = probe_cmg_auth_info(probe, servers.cmg, ONBOARDED_TENANT)
    assert result.ok, result.detail
    assert b"ClientAppId" in result.body


def test_cmg_404_for_other_tenant_means_not_onboarded(probe, servers):
    result = probe_cmg_auth_info(probe, "https://" + servers.cmg, OTHER_TENANT)
    assert result.failure == netprobe.NOT_ONBOARDED
    assert OTHER_TENANT in result.detail


def test_download_is_atomic_and_complete(probe, servers, tmp_path):
    dest = tmp_path / "run" / "ccmsetup.exe"
    result = probe.download(netprobe.ccmsetup_url(servers.https_mp), dest)
    assert result.ok, result.detail
    assert dest.read_bytes() == CCMSETUP_BYTES
    assert [p.name for p in dest.parent.iterdir()] == ["ccmsetup.exe"]


def test_failed_download_leaves_nothing(probe, servers, tmp_path):
    dest = tmp_path / "ccmsetup.exe"
    result = probe.download(f"{servers.https_mp}/CCM_Client/missing.exe", dest)
    assert result.status == 404
    assert list(tmp_path.iterdir()) == []
    too_big = probe.download(netprobe.ccmsetup_url(servers.https_mp), dest, max_bytes=10)
    assert too_big.failure == netprobe.BAD_RESPONSE
    assert list(tmp_path.iterdir()) == []


def test_bad_address_is_named(probe):
    assert probe.http_get("ftp://x/y").failure == netprobe.BAD_ADDRESS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975", "cmg.contoso.com"),
        ("https://CMG.cloudapp.net/CCM_Proxy_MutualAuth/1", "CMG.cloudapp.net"),
        ("127.0.0.1:8443/x", "127.0.0.1:8443"),
    ],
)
def test_cmg_host(value, expected):
    assert netprobe.cmg_host(value) == expected
