"""A small sentencepiece-style vocabulary: word pieces, and byte tokens for everything else.

Token ids: 0-2 are the special tokens, 3-258 the byte tokens `<0x00>`..`<0xFF>` (any
character not in the vocabulary is spelled as its UTF-8 bytes), then the pieces; "▁" marks
a space before a word.
"""

SPECIALS = ("<unk>", "<s>", "</s>")
BOS = 1
EOS = 2

_WORDS = (
    "the of and to in is was for on that with as by at from his it an were are which this be"
    " or has had not first their one new after also who they two her she been other when there"
    " all during into school time may years more most only over city some world would where"
    " later up such used many can state about national out known university united then made"
    " team under three people what him age model token text word stream server fast slow"
    " bench patch commit human agent measure result write read file line record value"
)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PUNCTUATION = ".,;:!?'\"()-"

PIECES = (
    list(SPECIALS)
    + [f"<0x{b:02X}>" for b in range(256)]
    + ["▁"]
    + ["▁" + w for w in _WORDS.split()]
    + list(_LETTERS)
    + list(_PUNCTUATION)
)
FIRST_BYTE_ID = len(SPECIALS)
FIRST_PIECE_ID = FIRST_BYTE_ID + 256
_INDEX = {piece: i for i, piece in enumerate(PIECES)}


def is_byte_token(token):
    return FIRST_BYTE_ID <= token < FIRST_PIECE_ID


def encode(text, *, bos=True):
    """Token ids of `text`: a word piece where one exists, letters and bytes otherwise."""
    ids = [BOS] if bos else []
    for n, word in enumerate(text.split(" ")):
        piece = "▁" + word if n else word
        if piece in _INDEX:
            ids.append(_INDEX[piece])
            continue
        if piece.startswith("▁"):
            ids.append(_INDEX["▁"])
        for char in word:
            if char in _INDEX:
                ids.append(_INDEX[char])
            else:
                ids.extend(FIRST_BYTE_ID + b for b in char.encode("utf-8"))
    return ids


def decode(ids):
    """The text of token ids, special tokens skipped; bytes of an unfinished character give U+FFFD."""
    tokens = [PIECES[i] for i in ids if i >= FIRST_BYTE_ID]
    out = bytearray()
    for token in tokens:
        if token.startswith("<0x") and token.endswith(">"):
            out.append(int(token[3:-1], 16))
        else:
            out += token.replace("▁", " ").encode("utf-8")
    return out.decode("utf-8", errors="replace")
