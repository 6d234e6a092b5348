"""Word frequencies: the most common words of a document."""


def most_common(words, k):
    """The `k` most frequent words as `(word, count)` pairs, most frequent first.

    Words with equal counts keep the order of their first appearance.
    """
    counts = []  # [word, count] pairs, in order of first appearance
    for word in words:
        for pair in counts:
            if pair[0] == word:
                pair[1] += 1
                break
        else:
            counts.append([word, 1])
    counts.sort(key=lambda pair: -pair[1])  # a stable sort: ties stay in appearance order
    return [(word, count) for word, count in counts[:k]]
