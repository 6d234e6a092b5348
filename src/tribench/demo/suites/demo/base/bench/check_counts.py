"""Digest of `minitext.counts.most_common` on fixed inputs (equal digests: equal behaviour)."""

import _harness
from _inputs import word_list

from minitext.counts import most_common

CASES = [([], 3), (["a"], 1), (["b", "a", "b", "a", "c"], 3), (["z", "y", "x", "y", "z"], 2)]
CASES += [(word_list(n, d, seed=n), k) for n, d, k in ((10, 5, 3), (500, 60, 10), (3000, 400, 50))]

if __name__ == "__main__":
    _harness.print_digest("counts", [most_common(list(words), k) for words, k in CASES])
