"""Words of a text, as an index or a keyword counter wants them."""

import re


def words(text):
    """The lower-cased, whitespace-separated words of `text`, without punctuation.

    Apostrophes stay ("don't"); a token made only of punctuation is dropped.
    """
    result = []
    for raw in text.split():
        word = re.sub(r"[^\w']+", "", raw.lower())
        if word:
            result.append(word)
    return result
