"""The simulated world of demo mode: a device and its site (model), the shipped worlds and trainers' files
(worlds), what the simulated network answers (network), why a run ended as it did (findings), and the
lab exercises (labs). Pure Python: no OS calls; the demo host and the simulator read it."""

from wizard.core.world.files import WorldFileError, resources_dir
from wizard.core.world.findings import WorldFinding, finding, finding_ids
from wizard.core.world.model import Device, Site, World
from wizard.core.world.worlds import DEFAULT_WORLD, NamedWorld, load_world, world_from_data, world_names

__all__ = ["DEFAULT_WORLD", "Device", "NamedWorld", "Site", "World", "WorldFileError", "WorldFinding", "finding",
           "finding_ids", "load_world", "resources_dir", "world_from_data", "world_names"]
