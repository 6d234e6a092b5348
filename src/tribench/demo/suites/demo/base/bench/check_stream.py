"""Digest of the streamed text deltas of `minitext.stream` (equal digests: equal behaviour).

Runs the server's generation pipeline in-process, without the model's step time, and records
every `(token, delta)` event: the chunking must stay the same, not only the final text.
"""

import _harness
from _inputs import prompts

from minitext.model import generate
from minitext.stream import stream_text
from minitext.vocab import encode

CASES = [("", 5), ("hello", 1), ("the café is open", 40), ("日本語 😀", 30)]
CASES += [(prompt, 64) for prompt in prompts(6, 50, seed=7)]

if __name__ == "__main__":
    outputs = []
    for prompt, max_tokens in CASES:
        prompt_ids = encode(prompt)
        tokens = generate(prompt_ids, max_tokens, step_s=0)
        outputs.append([[token, delta] for token, delta in stream_text(prompt_ids, tokens)])
    _harness.print_digest("stream", outputs)
