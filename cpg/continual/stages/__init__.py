"""The stages of a strategy whose tasks share one network, one file each; importing this
package registers every one of them in `cpg.continual.strategy.STAGES`.

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(nothing to prune: picking only, or a strategy that does not prune)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE [→ RETRAIN] → COMMIT → next task
"""

from cpg.registry import import_package

import_package(__name__, __path__)
