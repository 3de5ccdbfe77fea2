"""Which ccmsetup.exe to run: the one the user chose, else one beside the profile or the wizard, else (on-prem MP
scenario) a copy fetched from `<mp>/CCM_Client/ccmsetup.exe` into the run folder. Whatever the source, the
`ccmsetup-exe` check and InstallSession.start() verify its signature before it is launched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wizard.core.plan import InstallPlan
from wizard.host.base import Host
from wizard.host.netprobe import ccmsetup_url

Source = Literal["user", "profile", "wizard", "download"]
# What to do about a missing file, in the words of the front end: the GUI has a file chooser, the CLI an option.
GUI_MISSING_HINT = "choose the ccmsetup.exe to run"
CLI_MISSING_HINT = "pass --ccmsetup PATH (the ccmsetup.exe to run)"


@dataclass(frozen=True)
class ExeChoice:
    path: Path | None
    source: Source | None
    detail: str

    @property
    def found(self) -> bool:
        return self.path is not None and self.path.is_file()


def download_source(plan: InstallPlan) -> str | None:
    """The MP to fetch ccmsetup.exe from: the first non-CMG /mp of an on-prem MP plan, else None."""
    from wizard.core.cmg import is_cmg_address

    if plan.scenario != "onprem-mp":
        return None
    for mp in plan.mp:
        if mp.strip() and not is_cmg_address(mp):
            return mp.strip()
    return None


def locate_ccmsetup(host: Host, *, user_path: str | Path | None = None,
                    profile_path: str | Path | None = None, missing_hint: str = GUI_MISSING_HINT) -> ExeChoice:
    """Find ccmsetup.exe without touching the network. `missing_hint` ends the message when the file is missing."""
    if user_path:
        path = Path(user_path).expanduser()
        if path.is_dir():
            path = path / "ccmsetup.exe"
        if path.is_file():
            return ExeChoice(path.resolve(), "user", f"chosen: {path}")
        return ExeChoice(path, "user", f"{path} does not exist; {missing_hint}")
    if profile_path:
        beside = host.find_ccmsetup(Path(profile_path).expanduser().resolve().parent)
        if beside is not None and beside.parent == Path(profile_path).expanduser().resolve().parent:
            return ExeChoice(beside, "profile", f"found beside the profile: {beside}")
    found = host.find_ccmsetup()
    if found is not None:
        return ExeChoice(found, "wizard", f"found: {found}")
    return ExeChoice(None, None, f"no ccmsetup.exe chosen or found beside the wizard or the profile; {missing_hint}")


def fetch_ccmsetup(host: Host, plan: InstallPlan, *, timeout: float = 120.0) -> ExeChoice:
    """Download ccmsetup.exe from the plan's on-prem MP into the host's run folder (atomic)."""
    mp = download_source(plan)
    if mp is None:
        return ExeChoice(None, None, "ccmsetup.exe can only be fetched from an on-premises management point (/mp)")
    dest = host.run_dir() / "download" / "ccmsetup.exe"
    url = ccmsetup_url(mp)
    result = host.network().download(url, dest, timeout=timeout)
    if not result.ok:
        return ExeChoice(None, "download", f"could not download {url}: {result.detail}")
    return ExeChoice(dest, "download", f"downloaded from {url}")


def choose_ccmsetup(host: Host, plan: InstallPlan, *, user_path: str | Path | None = None,
                    profile_path: str | Path | None = None, allow_download: bool = True,
                    missing_hint: str = GUI_MISSING_HINT) -> ExeChoice:
    """locate_ccmsetup(), then fetch_ccmsetup() when nothing was found (and no explicit path was given)."""
    choice = locate_ccmsetup(host, user_path=user_path, profile_path=profile_path, missing_hint=missing_hint)
    if choice.found or user_path or not allow_download or download_source(plan) is None:
        return choice
    return fetch_ccmsetup(host, plan)
