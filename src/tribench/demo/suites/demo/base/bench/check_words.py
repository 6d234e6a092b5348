"""Digest of `minitext.words.words` on fixed inputs (equal digests: equal behaviour)."""

import _harness
from _inputs import text

from minitext.words import words

CASES = ["", "   ", "Hello, World!", "don't STOP -- it's 3.14 o'clock\n\tNaïve CAFÉ 日本語 ?!"]
CASES += [text(n, seed=n) for n in (10, 300, 3000)]

if __name__ == "__main__":
    _harness.print_digest("words", [words(case) for case in CASES])
