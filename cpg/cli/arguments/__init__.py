"""The arguments of each `cpg` command, defined without importing torch so that `--help` and
argument errors answer at once. Each parser names its handler as "module:function"; `cpg.cli.main`
imports it only when the command runs."""
