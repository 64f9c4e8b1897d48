"""Task-aware building blocks: Sharable layers, per-task BatchNorm and heads, `convert`."""

from cpg.nn.capacity import LayerCapacity, free_share, layer_capacity, owned_share, picked_share
from cpg.nn.convert import convert
from cpg.nn.materialize import task_model
from cpg.nn.learning import PICK_INIT, PICK_THRESHOLD, Reuse
from cpg.nn.network import TaskNetwork, TaskRecord
from cpg.nn.sharable import SharableConv2d, SharableLinear, SharableMixin
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm

__all__ = [
    "LayerCapacity",
    "PICK_INIT",
    "PICK_THRESHOLD",
    "Reuse",
    "SharableConv2d",
    "SharableLinear",
    "SharableMixin",
    "TaskBatchNorm",
    "TaskHead",
    "TaskNetwork",
    "TaskRecord",
    "convert",
    "free_share",
    "layer_capacity",
    "owned_share",
    "picked_share",
    "task_model",
]
