"""``stacsync harvest``: provider results into STAC Collections and Items in a static catalogue."""

from stacsync.harvest.model import CollectionCounts, HarvestOptions, HarvestReport
from stacsync.harvest.run import harvest, plan_harvest

__all__ = ["CollectionCounts", "HarvestOptions", "HarvestReport", "harvest", "plan_harvest"]
