"""HAT (Serra et al. 2018, "Overcoming catastrophic forgetting with hard attention to the task"):
per task, attention embeddings over the units of every layer, gated by σ(s·e) with s annealed
from 1/s_max to s_max over every epoch's batches; the units earlier tasks use (their cumulative
attention) gate the gradients of the weights between them to zero; a regulariser c·Σ keeps a task
to the free units; a head per task. Committed gates are binary (1 bit per unit), so earlier tasks
compute exactly what they computed (hyperparameters: `hat.s_max`, `hat.c`)."""

from cpg.continual.attention_training import AttentionTraining
from cpg.continual.policies import HardAttention, LastStep, NoGrowth, NoPruning
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

HAT = STRATEGIES.add("hat", Strategy(
    network=HardAttention(),
    pruning=NoPruning(),
    selection=LastStep(),
    growth=NoGrowth(),
    plugins=(AttentionTraining(),),
))
