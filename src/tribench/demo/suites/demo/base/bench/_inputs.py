"""Deterministic inputs for the bench and check scripts (a fixed-seed generator, no `random`)."""

_WORDS = (
    "The quick brown fox jumps over the lazy dog while a model streams tokens to the server;"
    " don't stop: measure, compare, and write the result! Café naïve über résumé 日本語 data"
    " record value line file bench patch commit human agent (fast) [slow] text-analytics"
    " e-mail o'clock it's rock'n'roll 42 3.14 #tag @user -- ... ?!"
).split()


def numbers(seed):
    """An endless, reproducible stream of 31-bit integers (a 64-bit LCG, high bits)."""
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        yield state >> 33


def word_list(count, distinct, seed=1):
    """`count` words drawn from `distinct` possible ones, the first ones more often (Zipf-like)."""
    draw = numbers(seed)
    return [f"w{min(next(draw) % distinct, next(draw) % distinct):04d}" for _ in range(count)]


def text(word_count, seed=2):
    """A text of `word_count` words with punctuation, capitals, newlines and non-ASCII words."""
    draw = numbers(seed)
    out = []
    for n in range(word_count):
        out.append(_WORDS[next(draw) % len(_WORDS)])
        out.append("\n" if n % 17 == 16 else " ")
    return "".join(out)


def corpus_lines(count, seed=3):
    """`count` corpus lines `<id>\\t<text>` (some without a tab, some empty)."""
    draw = numbers(seed)
    lines = []
    for n in range(count):
        kind = next(draw) % 50
        if kind == 0:
            lines.append("")
        elif kind == 1:
            lines.append(f"doc{n:06d}")
        else:
            lines.append(f"doc{n:06d}\t" + text(3 + next(draw) % 12, seed=n).replace("\n", " "))
    return lines


def prompts(count, words, seed=4):
    """`count` ASCII prompts of `words` words each."""
    draw = numbers(seed)
    vocab = [w for w in _WORDS if w.isascii() and w.isalpha()]
    return [" ".join(vocab[next(draw) % len(vocab)] for _ in range(words)) for _ in range(count)]
