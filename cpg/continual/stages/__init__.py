"""The stages of a strategy whose tasks share one network, one file each; each registers its
class in `cpg.continual.strategy.STAGES`, which imports the file when the stage is entered.

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(nothing to prune: picking only, or a strategy that does not prune)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE [→ RETRAIN] → COMMIT → next task
"""
