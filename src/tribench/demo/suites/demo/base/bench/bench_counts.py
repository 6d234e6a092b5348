"""Latency of `minitext.counts.most_common` on a list of 20,000 words (300 distinct)."""

import _harness  # noqa: F401  (puts the repository root on sys.path)
from _inputs import word_list

from minitext.counts import most_common

WORDS = word_list(20000, 300)


def run():
    most_common(WORDS, 20)


if __name__ == "__main__":
    _harness.report_latency(run)
