"""The whole hostile set (tests/hostile_cases.py) through the installed console script.

Each case is an input an attacker can write or a fault the world produces (billion-laughs YAML,
100,000-level JSON, catastrophic regexes, endpoints that never answer, corrupt history databases,
signals while reports are written, control characters in names, waivers of everything). A case is
handled when the command ends within its time limit with the right exit code, no traceback, one
error line, and whatever its own check demands. Prints each case, its time, and "N of M handled".

    python benchmarks/bench_hostile.py                 # every case
    python benchmarks/bench_hostile.py bounded sinks   # only these classes
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.hostile_cases import CASES, judge

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("classes", nargs="*", help="only the cases of these classes")
    chosen = [c for c in CASES if not parser.parse_args().classes or c.klass in parser.parse_args().classes]
    handled = 0
    started = time.perf_counter()
    for case in chosen:
        with tempfile.TemporaryDirectory(prefix="nhiscan-hostile-") as folder:
            began = time.perf_counter()
            problem = judge(case, Path(folder))
        handled += problem is None
        print(f"{case.klass:<12} {case.name:<46} {time.perf_counter() - began:6.1f} s  {problem or 'handled'}")
    print(f"{handled} of {len(chosen)} handled ({time.perf_counter() - started:.0f} s in all)")
    return 0 if handled == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
