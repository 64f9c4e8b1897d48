"""The trained model SeaM and channel compression start from, and the data it was trained on:
a classifier file from `cpg train`, or a user's own `state_dict` of a registered architecture
(one committed task of a saved run is a source too: `cpg.workflows.sources`)."""

from cpg.source.data import merge_tasks, source_task
from cpg.source.model import Source, source_from_classifier, source_from_state_dict

__all__ = ["Source", "merge_tasks", "source_from_classifier", "source_from_state_dict", "source_task"]
