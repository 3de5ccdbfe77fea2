"""Lab exercises for trainers: a world with planted faults, a briefing, a starting command, the documented fix.

`resources/labs/<name>.json` (or a trainer's own file, by path):

    {"schema_version": 1, "title": "...", "briefing": "A user in Fabrikam can't ...",
     "world": "entra-joined" | {world object, may "extends"},
     "plant": {world changes merged into the world: the planted fault(s)},
     "planted": [{"finding": "<world finding id>", "description": "...", "fixed_in": "command" | "world"}],
     "start": {"command": "ccmsetup.exe ..."},            optional: the command the trainee starts from
     "expected": {"state": "failed", "finding": "...", "error_code": "0x..."},   as given
     "fix": {"description": "...", "command": "...", "world": {changes}},       the documented fix
     "expected_after_fix": {"state": "succeeded"},
     "hints": ["...", "..."], "speed": 20}

Loading checks every field (the error names the file, the field and the reason) and runs the lab both ways
through the simulator (`wizard.core.simulator.evaluate`), so a lab whose planted fault does not produce its
expected outcome, or whose fix does not fix it, is refused with what actually happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from wizard.core.world.files import (
    WorldFileError,
    deep_merge,
    describe_validation_error,
    find_named_file,
    list_names,
    read_json_object,
)
from wizard.core.world.findings import finding, finding_ids
from wizard.core.world.model import FrozenModel, SchemaVersion, World
from wizard.core.world.worlds import NamedWorld, relative_to_file, resolve_world_data, world_from_data

__all__ = ["Debrief", "DebriefItem", "Lab", "LabExpectation", "LoadedLab", "lab_names", "load_lab"]

LabState = Literal["succeeded", "reboot-required", "failed", "already-running", "uac-cancelled", "stalled"]


class PlantedFault(FrozenModel):
    finding: str = Field(description="the world finding id the fault produces (wizard/core/data/world_findings.json)")
    description: str = Field(min_length=1)
    fixed_in: Literal["command", "world"] = "world"  # where the trainee's fix goes

    @field_validator("finding")
    @classmethod
    def _known_finding(cls, value: str) -> str:
        if value not in finding_ids():
            raise ValueError(f"unknown finding {value!r}; use one of: {', '.join(finding_ids())}")
        return value


class LabExpectation(FrozenModel):
    state: LabState
    finding: str | None = None
    error_code: str | None = Field(None, pattern=r"^0x[0-9a-fA-F]{8}$")
    return_code: int | None = None


class LabStart(FrozenModel):
    command: str | None = None  # the ccmsetup command line the trainee starts from
    profile: str | None = None  # or a profile file, relative to the lab file


class LabFix(FrozenModel):
    description: str = Field(min_length=1)
    command: str | None = None  # the corrected command
    world: dict[str, Any] | None = None  # the world changes that fix a fault outside the command


class Lab(FrozenModel):
    schema_version: SchemaVersion = 1
    title: str = Field(min_length=1)
    briefing: str = Field(min_length=1)
    world: str | dict[str, Any] = "entra-joined"
    plant: dict[str, Any] = Field(default_factory=dict)
    planted: tuple[PlantedFault, ...] = Field(min_length=1)
    start: LabStart = LabStart()
    expected: LabExpectation
    fix: LabFix
    expected_after_fix: LabExpectation = LabExpectation(state="succeeded")
    hints: tuple[str, ...] = ()
    speed: float = Field(10.0, gt=0, le=1000)


@dataclass(frozen=True)
class LoadedLab:
    """A lab ready to run: its planted world and the fixed one, the commands, where it came from."""

    name: str
    path: Path
    lab: Lab
    world: World  # with the planted faults
    fixed_world: World  # with the documented fix applied
    start_command: str | None
    fixed_command: str | None

    @property
    def title(self) -> str:
        return self.lab.title

    @property
    def briefing(self) -> str:
        return self.lab.briefing

    @property
    def hints(self) -> tuple[str, ...]:
        return self.lab.hints

    @property
    def speed(self) -> float:
        return self.lab.speed

    def named_world(self, *, fixed: bool = False) -> NamedWorld:
        return NamedWorld(f"lab:{self.name}", self.fixed_world if fixed else self.world, self.path)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "briefing": self.briefing,
                "planted": [p.finding for p in self.lab.planted], "expected": self.lab.expected.state,
                "hints": len(self.hints), "path": str(self.path)}

    def debrief(self, *, plan_argv: list[str] | None, check_results=(), verdict=None, launch_status: str | None = None,
                hints_used: int = 0) -> Debrief:
        """What was planted, whether the trainee found each fault, and how many hints they used.

        A fault fixed in the command counts as found when the trainee's last command no longer runs into it
        on the planted device. A fault outside the command (disk, trust, the site) counts as found when the
        trainee saw it: a check that predicts it failed, or the simulated run ended with it."""
        from wizard.core.simulator import evaluate

        items = []
        still = None
        if plan_argv is not None:
            still = evaluate(plan_argv, self.world)[0]
        ended_with = getattr(getattr(verdict, "finding", None), "id", None)
        for fault in self.lab.planted:
            if fault.finding == "uac-cancelled":
                seen = launch_status == "uac-cancelled"
                how = "the prompt was cancelled and you saw that nothing had started" if seen else ""
            elif fault.fixed_in == "command":
                fixed = still is not None and (still.finding is None or still.finding.id != fault.finding)
                seen = fixed
                how = "your command no longer runs into it" if fixed else ""
            else:
                checks = finding(fault.finding).checks
                flagged = [r for r in check_results if r.id in checks and r.status in ("fail", "warn", "error")]
                seen = bool(flagged) or ended_with == fault.finding
                how = (f"the check '{flagged[0].title}' showed it" if flagged
                       else "the run ended with it and the Finish page explains it" if seen else "")
            items.append(DebriefItem(fault.finding, fault.description, fault.fixed_in, seen, how))
        return Debrief(self.title, tuple(items), hints_used, len(self.hints), self.lab.fix.description)


@dataclass(frozen=True)
class DebriefItem:
    finding: str
    description: str
    fixed_in: str
    found: bool
    how: str


@dataclass(frozen=True)
class Debrief:
    title: str
    items: tuple[DebriefItem, ...]
    hints_used: int
    hints_total: int
    fix: str

    @property
    def found_all(self) -> bool:
        return all(item.found for item in self.items)

    def text(self) -> str:
        lines = [f"Lab debrief: {self.title}"]
        for item in self.items:
            mark = "found" if item.found else "not found"
            lines.append(f"- Planted: {item.description} [{mark}{': ' + item.how if item.how else ''}]")
        lines.append(f"- The documented fix: {self.fix}")
        lines.append(f"- Hints used: {self.hints_used} of {self.hints_total}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "found_all": self.found_all, "hints_used": self.hints_used,
                "hints_total": self.hints_total, "fix": self.fix,
                "planted": [{"finding": i.finding, "description": i.description, "fixed_in": i.fixed_in,
                             "found": i.found, "how": i.how} for i in self.items]}


def lab_names() -> list[str]:
    return list_names("labs")


def _command_argv(command: str | None, path: Path, field: str) -> list[str] | None:
    if command is None:
        return None
    from wizard.core.parse import CommandParseError, parse_command
    from wizard.core.render import build_argv

    try:
        return build_argv(parse_command(command).plan, show_secrets=True)
    except CommandParseError as exc:
        raise WorldFileError(path, str(exc), field=field) from None


def load_lab(name_or_path: str | Path, *, check_outcomes: bool = True) -> LoadedLab:
    """A shipped lab by name or a trainer's lab file by path. Raises WorldFileError naming the file, the
    field and the reason (also when the planted fault or the fix does not behave as the file says)."""
    path = find_named_file("labs", name_or_path)
    data = read_json_object(path)
    try:
        lab = Lab.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(path, exc) from None
    if isinstance(lab.world, str):
        try:
            base_path = find_named_file("worlds", relative_to_file(lab.world, path))
        except WorldFileError as exc:
            raise WorldFileError(path, exc.problem, field="world") from None
        base = resolve_world_data(read_json_object(base_path), base_path)
    else:
        base = resolve_world_data(dict(lab.world), path)
    base.setdefault("title", lab.title)
    base.setdefault("description", lab.briefing)
    planted = deep_merge(base, lab.plant)
    world = world_from_data(planted, path, field_prefix="plant")
    fixed = world_from_data(deep_merge(planted, lab.fix.world or {}), path, field_prefix="fix.world")
    start_command = lab.start.command
    if start_command is None and lab.start.profile:
        start_command = _profile_command(path, lab.start.profile)
    fixed_command = lab.fix.command or start_command
    loaded = LoadedLab(path.stem, path, lab, world, fixed, start_command, fixed_command)
    if check_outcomes:
        _check_outcomes(loaded)
    return loaded


def _profile_command(lab_path: Path, profile: str) -> str:
    from wizard.core.profiles import ProfileError, load_profile
    from wizard.core.render import build_argv, command_line

    target = Path(profile)
    if not target.is_absolute():
        target = lab_path.parent / target
    try:
        plan = load_profile(target).plan
    except (ProfileError, OSError) as exc:
        raise WorldFileError(lab_path, f"the profile cannot be used: {exc}", field="start.profile") from None
    return "ccmsetup.exe " + command_line(build_argv(plan, show_secrets=True))


def expected_state(verdict, world: World) -> str:
    """The state a trainee sees for a verdict: a stalled download first shows as a stall, a cancelled
    administrator prompt as uac-cancelled (the run never starts)."""
    if world.device.uac_cancel and not world.device.elevated:
        return "uac-cancelled"
    if verdict.stalls:
        return "stalled"
    return verdict.state


def _matches(expectation: LabExpectation, verdict, world: World) -> str | None:
    """None when the verdict is what the lab expects, else what differs."""
    state = expected_state(verdict, world)
    got_finding = verdict.finding.id if verdict.finding else None
    problems = []
    if state != expectation.state:
        problems.append(f"ends as {state!r}, not {expectation.state!r}")
    if expectation.finding and state not in ("uac-cancelled",) and got_finding != expectation.finding:
        problems.append(f"its cause is {got_finding!r}, not {expectation.finding!r}")
    if expectation.error_code and (verdict.error_code or "").lower() != expectation.error_code.lower():
        problems.append(f"its error code is {verdict.error_code!r}, not {expectation.error_code!r}")
    if expectation.return_code is not None and verdict.return_code != expectation.return_code:
        problems.append(f"its return code is {verdict.return_code!r}, not {expectation.return_code!r}")
    return "; ".join(problems) or None


def _check_outcomes(loaded: LoadedLab) -> None:
    from wizard.core.simulator import evaluate

    lab, path = loaded.lab, loaded.path
    argv = _command_argv(loaded.start_command, path, "start.command")
    if argv is None:
        raise WorldFileError(path, "a lab needs a starting command (start.command or start.profile) so it can "
                                   "be checked and run headless", field="start")
    verdict = evaluate(argv, loaded.world)[0]
    problem = _matches(lab.expected, verdict, loaded.world)
    if problem:
        raise WorldFileError(path, f"as given, the run {problem}", field="expected")
    fixed_argv = _command_argv(loaded.fixed_command, path, "fix.command")
    fixed_verdict = evaluate(fixed_argv or argv, loaded.fixed_world)[0]
    problem = _matches(lab.expected_after_fix, fixed_verdict, loaded.fixed_world)
    if problem:
        raise WorldFileError(path, f"with the documented fix, the run {problem}", field="fix")
