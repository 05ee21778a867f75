"""Synthetic datasets: a manufacturer-distributor of any size, deterministic per seed.

``generate_dataset(scale, seed=...)`` returns a validated :class:`~oms_plan.Dataset` with
``scale`` open order lines; ``generate_frames`` returns the tables before validation.
See ``docs/generate.md`` for the knobs and the shape of the generated network.
"""

from oms_plan.generate.config import GeneratorConfig, resolve_config
from oms_plan.generate.core import generate_dataset, generate_frames

__all__ = ["GeneratorConfig", "generate_dataset", "generate_frames", "resolve_config"]
