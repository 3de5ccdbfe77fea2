"""HTTPS-only management points (issue 10, defect 8): the scheme the MP probe uses, and an http:// answer of 403
read as "HTTPS required", never as "MP down". A scripted prober stands in for the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.core.parse import parse_command
from wizard.host.checks import run_checks
from wizard.host.demo import DemoHost
from wizard.host.netprobe import HTTP_STATUS, Prober, ProbeResult

MPLIST = b"<MPList><MP Name='MP01'/></MPList>"
IIS_403_4 = (b"<html><body><h2>HTTP Error 403.4 - Forbidden</h2>The page you are trying to access is secured "
             b"with Secure Sockets Layer (SSL).</body></html>")


class ScriptedProber(Prober):
    def __init__(self, answers: dict[str, tuple[int, bytes]]):
        self.answers = answers
        self.asked: list[str] = []

    def https_reach(self, host, port=443, *, timeout=5.0):
        return ProbeResult(f"{host}:{port}", True, None, "TLS ok")

    def http_get(self, url, *, timeout=5.0, max_bytes=1 << 20):
        self.asked.append(url)
        status, body = self.answers.get(url, (404, b""))
        ok = 200 <= status < 300
        return ProbeResult(url, ok, None if ok else HTTP_STATUS, f"HTTP {status}", status, body)

    def download(self, url, dest: Path, *, timeout=30.0, max_bytes=64 << 20):
        raise AssertionError("not used")


class ScriptedHost(DemoHost):
    def __init__(self, prober, **kwargs):
        super().__init__(**kwargs)
        self._scripted = prober

    def network(self):
        return self._scripted


def check(tmp_path, prober, command):
    host = ScriptedHost(prober, preset="entra-joined", base_dir=tmp_path, latency=0)
    return run_checks(host, parse_command(command).plan, only=["mp-reachable"])[0]


HTTP_URL = "http://mp01.contoso.com/SMS_MP/.sms_aut?MPLIST"
HTTPS_URL = "https://mp01.contoso.com/SMS_MP/.sms_aut?MPLIST"


@pytest.mark.parametrize("command", [
    "ccmsetup.exe /mp:mp01.contoso.com /UsePKICert SMSSITECODE=P01",
    "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01 SMSMP=https://mp01.contoso.com",
])
def test_pki_or_https_smsmp_probes_https(tmp_path, command):
    prober = ScriptedProber({HTTPS_URL: (200, MPLIST)})
    result = check(tmp_path, prober, command)
    assert prober.asked == [HTTPS_URL]
    assert result.status == "pass"


def test_plain_http_without_pki_keeps_http(tmp_path):
    prober = ScriptedProber({HTTP_URL: (200, MPLIST)})
    assert check(tmp_path, prober, "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01").status == "pass"
    assert prober.asked == [HTTP_URL]


@pytest.mark.parametrize("body", [IIS_403_4, b"<html>403 - Forbidden: Access is denied.</html>"])
def test_http_403_means_https_required_not_mp_down(tmp_path, body):
    prober = ScriptedProber({HTTP_URL: (403, body), HTTPS_URL: (403, b"client certificate required")})
    result = check(tmp_path, prober, "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01")
    assert prober.asked == [HTTP_URL, HTTPS_URL]
    assert "accepts HTTPS only" in result.detail and "not down" in result.detail
    assert "over https:// it is reachable" in result.detail
    assert "/UsePKICert" in result.fix and "https://" in result.fix
    assert ("403.4" in result.detail) == (body == IIS_403_4)
    assert result.status == "fail"  # the command as written would be refused


def test_http_403_and_https_unreachable_names_both(tmp_path):
    prober = ScriptedProber({HTTP_URL: (403, IIS_403_4)})
    result = check(tmp_path, prober, "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01")
    assert result.status == "fail" and "over https:// HTTP 404" in result.detail


def test_https_retry_keeps_a_custom_port_and_drops_port_80(tmp_path):
    custom = "http://mp01.contoso.com:8080/SMS_MP/.sms_aut?MPLIST"
    prober = ScriptedProber({custom: (403, IIS_403_4)})
    check(tmp_path, prober, "ccmsetup.exe /mp:http://mp01.contoso.com:8080 SMSSITECODE=P01")
    assert prober.asked[-1] == "https://mp01.contoso.com:8080/SMS_MP/.sms_aut?MPLIST"
    standard = "http://mp01.contoso.com:80/SMS_MP/.sms_aut?MPLIST"
    prober = ScriptedProber({standard: (403, IIS_403_4)})
    check(tmp_path, prober, "ccmsetup.exe /mp:http://mp01.contoso.com:80 SMSSITECODE=P01")
    assert prober.asked[-1] == HTTPS_URL
