"""Disclosure models, one module per topic (see disclosure/README.md)."""

from disclosure.models.advisory import Advisory, AdvisoryRevision, AdvisoryState
from disclosure.models.embargo import Embargo, EmbargoState

__all__ = ["Advisory", "AdvisoryRevision", "AdvisoryState", "Embargo", "EmbargoState"]
