"""Synthetic worlds with ground truth: a taxpayer master file, a messy request batch, the
request letter and the truth about every row. Synthetic data only; name frequencies come from
public-domain US Census tables (see ``data/README.md``)."""

from matchgate.synth._requests import HAZARD_TAGS
from matchgate.synth._shape import WorldShape
from matchgate.synth._world import REQUEST_MIXES, WorldSummary, generate_world

__all__ = ["HAZARD_TAGS", "REQUEST_MIXES", "WorldShape", "WorldSummary", "generate_world"]
