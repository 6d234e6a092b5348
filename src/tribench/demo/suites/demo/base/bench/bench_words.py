"""Latency of `minitext.words.words` on 400 short documents (100 words each)."""

import _harness  # noqa: F401  (puts the repository root on sys.path)
from _inputs import text

from minitext.words import words

# Many short documents rather than one long text: each call's strings stay in the CPU cache,
# which keeps the timing steady on a busy machine.
DOCUMENTS = [text(100, seed=n) for n in range(400)]


def run():
    for document in DOCUMENTS:
        words(document)


if __name__ == "__main__":
    _harness.report_latency(run)
