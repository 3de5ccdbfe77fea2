"""The Windows CI workflow (.github/workflows/windows.yml) keeps every step issue 10 asks for, so it cannot rot
silently: parsed as YAML, not grepped."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "windows.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def job(workflow) -> dict:
    (only,) = workflow["jobs"].values()
    return only


@pytest.fixture(scope="module")
def steps(job) -> list[dict]:
    return job["steps"]


def runs(steps) -> list[str]:
    return [step.get("run", "") for step in steps]


def index_of(steps, needle: str) -> int:
    matches = [i for i, step in enumerate(steps) if needle in step.get("run", "") or needle in step.get("uses", "")]
    assert matches, f"no step runs or uses {needle!r}"
    return matches[0]


def test_triggers_and_runner(workflow, job):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert {"push", "pull_request"} <= set(triggers)
    assert job["runs-on"] == "windows-latest"
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12"]  # strings: 3.10 would be 3.1


def test_python_from_the_matrix_and_the_extras(steps):
    setup = steps[index_of(steps, "actions/setup-python")]
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert 'pip install -e ".[test,build]"' in runs(steps)[index_of(steps, "pip install")]


def test_suite_selftest_build_installer_and_bundle_runs_in_order(steps):
    install = index_of(steps, "pip install")
    suite = index_of(steps, "pytest")
    selftest = index_of(steps, "wizard.cli.main selftest --json")
    build = index_of(steps, "installer/build.py")
    inno = index_of(steps, "innosetup")
    compiled = index_of(steps, "-setup.exe")
    version = index_of(steps, "ccmsetup-wizard-cli.exe --version")
    bundle_selftest = index_of(steps, "ccmsetup-wizard-cli.exe selftest")
    demo_install = index_of(steps, "ccmsetup-wizard-cli.exe install --demo --yes --speed 50")
    assert install < min(suite, selftest)
    assert inno < build < compiled < version < bundle_selftest
    assert max(suite, selftest) < build and version < demo_install


@pytest.mark.parametrize("needle", ["wizard.cli.main selftest --json", "ccmsetup-wizard-cli.exe selftest"])
def test_a_failed_probe_fails_the_job(steps, needle):
    step = steps[index_of(steps, needle)]
    assert not step.get("continue-on-error")
    script = step["run"]
    assert "exit $code" in script and "$code = $LASTEXITCODE" in script  # the report is printed, then the code
    assert "|| true" not in script and "exit 0" not in script


def test_no_step_hides_a_failure(steps):
    assert not [s.get("name") for s in steps if s.get("continue-on-error")]


def test_artifacts_are_uploaded_even_after_a_failure(steps):
    upload = steps[index_of(steps, "actions/upload-artifact")]
    assert upload.get("if") == "always()"
    paths = upload["with"]["path"]
    for pattern in ("dist/ccmsetup-wizard-*.zip", "dist/ccmsetup-wizard-*-setup.exe", "selftest-*.json"):
        assert pattern in paths
    assert "selftest-source.json" in runs(steps)[index_of(steps, "wizard.cli.main selftest --json")]
    assert "selftest-bundle.json" in runs(steps)[index_of(steps, "ccmsetup-wizard-cli.exe selftest")]


def test_linux_ci_is_unchanged():
    ci = (WORKFLOW.parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest" in ci and "installer/ci_smoke.sh" in ci


def test_benchmarks_report_the_windows_bundle_size_and_start_up(steps):
    build = index_of(steps, "installer/build.py")
    startup = index_of(steps, "tests/benchmarks/bench_startup.py")
    bundle = index_of(steps, "tests/benchmarks/bench_bundle.py")
    summary = index_of(steps, "tests/benchmarks/bench_summary.py")
    upload = index_of(steps, "actions/upload-artifact")
    assert build < bundle < summary < upload and startup < summary
    for needle, report in (("bench_startup.py", "bench-startup.json"), ("bench_bundle.py", "bench-bundle.json")):
        script = steps[index_of(steps, needle)]["run"]
        # the JSON is kept and printed; a benchmark that crashes fails the job
        assert report in script and "$code = $LASTEXITCODE" in script and "exit $code" in script
        assert report in steps[summary]["run"]
    assert "GITHUB_STEP_SUMMARY" in steps[summary]["run"]
    assert "bench-*.json" in steps[upload]["with"]["path"]


def test_benchmark_scripts_the_workflow_runs_exist():
    root = WORKFLOW.parents[2]
    for name in ("bench_startup.py", "bench_bundle.py", "bench_summary.py"):
        assert (root / "tests" / "benchmarks" / name).is_file()
