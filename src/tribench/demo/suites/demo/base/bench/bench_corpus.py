"""Latency of `minitext.corpus.read_records` on a corpus file of 3,000 lines (about 180 KB)."""

import os
import tempfile

import _harness
from _inputs import corpus_lines

from minitext.corpus import read_records

if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="minitext-bench-") as tmp:
        path = os.path.join(tmp, "corpus.tsv")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(corpus_lines(3000)) + "\n")
        _harness.report_latency(lambda: read_records(path))
