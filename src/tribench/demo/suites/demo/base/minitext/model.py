"""A deterministic stand-in for a language model.

It "generates" words of a fixed list, chosen by a linear congruential generator seeded from
the prompt, spelled with the vocabulary's tokens. It runs like an asynchronous engine on an
accelerator: the next token is ready `STEP_S` after the previous one, while the server is
still handling that one. A server whose per-token work fits in the step streams at exactly
one token per step; slower per-token work is what the client sees. No randomness, so timings
compare across runs.
"""

import time

from minitext.vocab import encode

STEP_S = 0.001

_OUTPUT_WORDS = (
    "the model reads a token and writes the next one , café naïve über 日本語 😀 fast slow"
    " stream server text word result value record line file measure bench patch"
).split()


def generate(prompt_ids, max_tokens, *, step_s=STEP_S):
    """Yield `max_tokens` token ids continuing `prompt_ids`, one per model step."""
    state = sum(prompt_ids) % 2147483647 or 1
    pending = []
    ready_at = time.perf_counter()
    for _ in range(max_tokens):
        if not pending:
            state = (state * 48271) % 2147483647
            word = _OUTPUT_WORDS[state % len(_OUTPUT_WORDS)]
            pending = encode(" " + word, bos=False)
        if step_s:
            ready_at += step_s
            wait = ready_at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        yield pending.pop(0)
