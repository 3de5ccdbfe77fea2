"""Cost of explain_message per log line (diagnose/truth call it per record) and of explain_code. Prints JSON.

    python tests/benchmarks/bench_explain.py
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from wizard.core.explain import explain_code, explain_message  # noqa: E402

# A realistic mix: mostly ordinary lines, some with codes or known texts.
LINES = [
    "==========[ ccmsetup started in process 10168 ]==========",
    'Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:https://mp1.contoso.com SMSSITECODE=PS1',
    "Downloading C:\\Temp\\ccmsetup.exe to C:\\Windows\\ccmsetup\\ccmsetup.exe",
    "Successfully created the ccmsetup service",
    "Received message '<SiteInfoReply SchemaVersion=\"1.00\"><SiteInfo SiteCode=\"PS1\" "
    "Version=\"5.00.9106.1000\"/></SiteInfoReply>'",
    "Found a valid online MP 'https://mp1.contoso.com'",
    "File download 35% complete (1024 of 2925 bytes).",
    "MSI: Action 15:32:38: CcmRestorePowerScheme. Restore original power scheme.",
    "Failed to download from 'http://dp1.contoso.com/SMS_DP_SMSPKG$/PS100002/client.msi'. Error 0x80190194",
    "Sending Fallback Status Point message, STATEID='321'.",
    "CcmSetup failed with error code 0x80190194",
    "Sending registration request for GUID:80070005-08E7-4B38-B282-7E6954B71139",
    "Failed to connect to policy namespace. Error 0x8004100e",
    "WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set",
    "Installation succeeded. Windows Installer has requested a reboot.",
    "Getting AAD (device) token with: ClientId = 0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8b, "
    "ResourceUrl = https://ConfigMgrService",
]


def main() -> None:
    explain_message("warm up the table")
    runs = timeit.repeat(lambda: [explain_message(line) for line in LINES], number=500, repeat=7)
    per_line = min(runs) / (500 * len(LINES)) * 1e6
    per_code = min(timeit.repeat(lambda: explain_code("0x87d0027e"), number=20000, repeat=5)) / 20000 * 1e6
    print(json.dumps({"explain_message_us_per_line": round(per_line, 2), "explain_code_us": round(per_code, 2),
                      "lines": len(LINES)}))


if __name__ == "__main__":
    main()
