import json
import os

import pytest

from wizard.core import profiles as profiles_module
from wizard.core.plan import InstallPlan
from wizard.core.profiles import (
    Profile,
    ProfileError,
    RecentProfiles,
    default_profile_dir,
    load_profile,
    save_profile,
)

CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"
PLAN = InstallPlan(scenario="cmg-token", ccmhostname=CMG, sitecode="ABC", regtoken="secret-token",
                   parameters=(("/NoCRLCheck", None),), properties=(("FSP", "fsp 1"),))


def test_save_and_load_round_trip_without_the_token(tmp_path):
    path = tmp_path / "cmg.json"
    profile = Profile(name="CMG", description="Field laptops", plan=PLAN, locked=("ccmhostname", "SMSSITECODE"),
                      lock_reason="Set by the ConfigMgr team")
    assert profile.plan.regtoken is None  # a profile never holds the token
    save_profile(path, profile)
    text = path.read_text(encoding="utf-8")
    assert "secret-token" not in text and "regtoken" not in text
    assert json.loads(text)["schema_version"] == 1
    loaded = load_profile(path)
    assert loaded == profile
    assert loaded.plan == PLAN.update(regtoken=None)
    assert loaded.locked == ("ccmhostname", "SMSSITECODE")


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "p.json"
    save_profile(path, Profile(name="one"))
    save_profile(path, Profile(name="two"))
    assert load_profile(path).name == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_profile(path, Profile(name="old"))
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(profiles_module.os, "replace", broken_replace)
    with pytest.raises(ProfileError, match="p.json"):
        save_profile(path, Profile(name="new"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


@pytest.mark.parametrize(("content", "words"), [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2]", "profile object"),
    (b'{"name": "x"}', "no schema_version"),
    (b'{"schema_version": 2, "name": "x"}', "schema_version 2"),
    (b'{"schema_version": 1, "name": "x", "colour": "red"}', "colour"),
    (b'{"schema_version": 1, "plan": {"scenario": "moon"}}', "plan.scenario"),
    (b'{"schema_version": 1, "plan": {"regtoken": "abc"}}', "registration token"),
    (b'{"schema_version": 1, "locked": ["NOT_A_FIELD"]}', "NOT_A_FIELD"),
])
def test_bad_files_name_the_file_and_the_problem_and_stay_untouched(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as excinfo:
        load_profile(path)
    message = str(excinfo.value)
    assert str(path) in message and words in message
    assert excinfo.value.path == path
    assert path.read_bytes() == content


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.json")
    with pytest.raises(ProfileError, match="folder"):
        load_profile(tmp_path)


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"schema_version": 1, "name": "b"}).encode())
    assert load_profile(path).name == "b"


def test_default_profile_dir_is_under_the_config_dir():
    folder = default_profile_dir()
    assert folder.name == "profiles" and "ccmsetup-wizard" in str(folder)


def test_recent_profiles(tmp_path):
    recent = RecentProfiles(tmp_path / "recent.json", limit=3)
    assert recent.items() == []
    for name in ("a", "b", "c", "d"):
        recent.add(tmp_path / f"{name}.json")
    assert [p.name for p in recent.items()] == ["d.json", "c.json", "b.json"]
    recent.add(tmp_path / "b.json")
    assert [p.name for p in recent.items()] == ["b.json", "d.json", "c.json"]
    recent.remove(tmp_path / "d.json")
    assert [p.name for p in recent.items()] == ["b.json", "c.json"]
    (tmp_path / "recent.json").write_text("{broken")
    assert recent.items() == []
    recent.clear()
    assert recent.items() == []
    assert os.path.exists(tmp_path / "recent.json")
