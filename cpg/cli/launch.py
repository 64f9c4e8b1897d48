"""`cpg run --nproc N`: the same command under torchrun with N processes."""

import subprocess
import sys

from cpg.errors import RunFailed


def launch_processes(nproc: int, argv: list[str]) -> int:
    """Run `cpg <argv without --nproc>` as an N-process torchrun job on this machine."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "cpg", *_without_nproc(argv)]
    code = subprocess.call(command)
    if code != 0:
        raise RunFailed(f"a process of the {nproc}-process run failed (exit status {code}), so all of them "
                        "stopped; the run continues from its last save: rerun the same command or `cpg resume` the run")
    return 0


def _without_nproc(argv: list[str]) -> list[str]:
    result, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--nproc":
            skip = True
            continue
        if item.startswith("--nproc="):
            continue
        result.append(item)
    return result
