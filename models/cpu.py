"""How many threads the CPU runs llama.cpp's work on best: one per physical core.

llama-cpp-python's own default for generation is half the logical CPUs (``cpu_count() // 2``),
which assumes two hardware threads per core. On a machine without SMT, such as the 2-core VMs
Corral is measured on, that is one thread for two cores: measured with the default model,
4.7 generated tokens/s against 8.7 with both cores (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from pathlib import Path


def usable_cpus() -> set[int]:
    """The logical CPUs this process may run on."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return set(range(os.cpu_count() or 1))


def parse_cpuinfo(text: str, usable: set[int]) -> int | None:
    """Distinct (package, core) pairs among ``usable`` in /proc/cpuinfo's text; None when it
    does not say (some ARM and virtual machines give no core ids)."""
    cores: set[tuple[str, str]] = set()
    fields: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if line.strip():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
            continue
        if "processor" in fields and "core id" in fields:
            if fields["processor"].isdigit() and int(fields["processor"]) in usable:
                cores.add((fields.get("physical id", "0"), fields["core id"]))
        fields = {}
    return len(cores) or None


def physical_cores() -> int:
    """Physical cores this process may use; the logical count where that is all we can learn."""
    usable = usable_cpus()
    try:
        found = parse_cpuinfo(Path("/proc/cpuinfo").read_text(errors="replace"), usable)
    except OSError:
        found = None
    return max(1, min(found or len(usable), len(usable)))
