"""Goal accuracies: what each task must reach, and where that number comes from.

A goal is measured like for like: the accuracy a network of the run's own architecture, trained
for the task alone with the run's FINETUNE schedule from the run's starting weights, reaches on
the split the run's decisions read (the validation split held out from the task's training data,
or the test split with `select_on: test`). `goal.py` holds one goal, `protocol.py` what goals
depend on, `files.py` the files that keep them.
"""

from cpg.goals.files import PACKAGE_BASELINES, GoalFile, candidate_files, goal_path, write_goals
from cpg.goals.goal import Goal, pack_correct, unpack_correct
from cpg.goals.protocol import goal_protocol, protocol_key

__all__ = [
    "PACKAGE_BASELINES",
    "Goal",
    "GoalFile",
    "candidate_files",
    "goal_path",
    "goal_protocol",
    "pack_correct",
    "protocol_key",
    "unpack_correct",
    "write_goals",
]
