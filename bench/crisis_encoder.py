"""Benchmark of the crisis detector's second reading (the encoder): time and memory.

Prints what loading the encoder costs a process (seconds, resident memory), then the time the
second reading takes for one 300-character message at a time and per message in batches of 8
and 32 (the hub's worker reads what has queued up in one batch), on the same messages as
``bench/crisis_scan.py``. Run: ``python bench/crisis_encoder.py [--messages N]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crisis_scan import LENGTH, messages  # noqa: E402

from moderation.crisis import CrisisDetector  # noqa: E402
from moderation.crisis_encoder import load_shipped_encoder  # noqa: E402


def rss_mib() -> float:
    """Resident memory now (Linux), MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=480)
    args = parser.parse_args()
    import numpy  # noqa: F401  (its own memory is not the encoder's)

    before = rss_mib()
    started = time.perf_counter()
    encoder = load_shipped_encoder()
    if encoder is None:
        sys.exit("no shipped encoder (moderation/data/crisis_encoder.npz)")
    loaded = time.perf_counter() - started
    after, peak = rss_mib(), peak_mib()
    detector = CrisisDetector.shipped()
    sample = messages(args.messages, 7)
    detector.second_reading(sample[:8])  # warm-up
    print(f"encoder loaded in {loaded:.2f} s; resident memory {before:.0f} → {after:.0f} MiB (peak {peak:.0f})")
    for size in (1, 8, 32):
        per_message = []
        for at in range(0, len(sample) - size + 1, size):
            batch = sample[at:at + size]
            t0 = time.perf_counter()
            detector.second_reading(batch)
            per_message.append((time.perf_counter() - t0) / size)
        per_message.sort()
        p99 = per_message[int(len(per_message) * 0.99) - 1]
        print(f"batches of {size:2d} {LENGTH}-character messages: per message median "
              f"{statistics.median(per_message) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms ({len(per_message)} batches)")


if __name__ == "__main__":
    main()
