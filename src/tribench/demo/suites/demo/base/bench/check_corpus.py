"""Digest of `minitext.corpus.read_records` on fixed files (equal digests: equal behaviour)."""

import os
import tempfile

import _harness
from _inputs import corpus_lines

from minitext.corpus import read_records

CASES = ["", "\n", "a\tb", "a\tb\n\nc\n", "x\ty\tz\r\nno tab\n\tempty id\n", "Café\t日本語 😀\n"]
CASES += ["\n".join(corpus_lines(n, seed=n)) + "\n" for n in (5, 200)]

if __name__ == "__main__":
    outputs = []
    with tempfile.TemporaryDirectory(prefix="minitext-check-") as tmp:
        for n, content in enumerate(CASES):
            path = os.path.join(tmp, f"case{n}.tsv")
            with open(path, "wb") as f:
                f.write(content.encode("utf-8"))
            outputs.append(read_records(path))
    _harness.print_digest("corpus", outputs)
