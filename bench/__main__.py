"""Run every benchmark module in bench/ (`make bench`). Each prints rates or ratios."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    wanted = sys.argv[1:]  # `python -m bench bench_lists bench_license_file`: only those
    if wanted:
        names = [n for n in names if n in wanted]
    if not names:
        print("no benchmarks yet")
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
