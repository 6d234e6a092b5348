"""What every bench and check script shares: the import path, the timing loop, the digest.

A bench script prints ONE JSON object on stdout. `latency_avg_ms` is the median of repeated
in-process calls (the median, not the mean, so that one disturbed call does not move the
result); the loop runs for about `budget_s`, at least `min_reps` times.

Each call is timed with the process's CPU time (user + system, so the system calls of I/O
count), not wall time: on a busy machine another process sharing the core doubles a call's
wall time but not its CPU time, and the benchmarks are single-threaded, CPU-bound calls.
"""

import gc
import hashlib
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def report_latency(call, *, budget_s=0.25, min_reps=3, max_reps=2000):
    """Time `call()` repeatedly and print `{"latency_avg_ms": <median>, "repetitions": <n>}`."""
    call()  # warm-up: imports, caches, first allocations
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (len(times) < max_reps and time.perf_counter() - start < budget_s):
        gc.collect()
        began = time.process_time()
        call()
        times.append(time.process_time() - began)
    median_ms = statistics.median(times) * 1000.0
    print(json.dumps({"latency_avg_ms": round(median_ms, 6), "repetitions": len(times)}))


def print_digest(name, outputs):
    """Print a digest of `outputs` (any JSON-serialisable value): equal digests, equal outputs."""
    blob = json.dumps(outputs, ensure_ascii=False, sort_keys=True).encode("utf-8")
    print(f"{name} sha256:{hashlib.sha256(blob).hexdigest()} bytes:{len(blob)}")
