"""Checks and times the proposed pinyin_keys (bench/import_prototype.py) against the app's.

    .venv/bin/python bench/pinyin_check.py [--names 100000]
"""
import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import datagen  # noqa: E402
from import_prototype import pinyin_keys_one_pass  # noqa: E402
from tracker.enterprises.pinyin import pinyin_keys  # noqa: E402

EDGE_CASES = ["宏群胜精密电子(营口)有限公司", "ABC国际贸易（营口）有限公司", "营口银行股份有限公司", "中国银行营口分行",
              "重庆长安汽车", "乐亭行", "绿色食品", "嗯", "2019年百企大调研", "Yingkou Co., Ltd.", "", "  ", "营口 雅丽丝"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=100_000)
    args = parser.parse_args()
    names = [n for n, _ in datagen.firm_names(args.names, 5, lambda i: "0930" if i % 5 else "0931")] + EDGE_CASES
    started = time.perf_counter()
    proposed = [pinyin_keys_one_pass(n) for n in names]
    proposed_s = time.perf_counter() - started
    started = time.perf_counter()
    current = [pinyin_keys(n) for n in names]
    current_s = time.perf_counter() - started
    differ = [(n, a, b) for n, a, b in zip(names, current, proposed) if a != b]
    print(f"{len(names):,} names: app's pinyin_keys {current_s:.1f} s, proposed {proposed_s:.1f} s "
          f"({current_s / proposed_s:.1f}x); {len(differ)} differ")
    for n, a, b in differ[:10]:
        print(f"  {n!r}: {a} != {b}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
