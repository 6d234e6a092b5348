"""Streaming detokenization: the text each newly generated token adds."""

from minitext.vocab import decode


def stream_text(prompt_ids, tokens):
    """Yield `(token, delta)` for each generated token; the deltas concatenate to the output text.

    The bytes of a character spread over several byte tokens are held back (delta "") until
    the character is complete.
    """
    ids = list(prompt_ids)
    prompt_chars = len(decode(ids))
    emitted = 0
    for token in tokens:
        ids.append(token)
        text = decode(ids)[prompt_chars:]
        if text.endswith("\ufffd"):
            yield token, ""
            continue
        yield token, text[emitted:]
        emitted = len(text)
