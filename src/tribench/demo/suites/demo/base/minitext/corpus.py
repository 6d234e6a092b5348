"""Reading a corpus file: one record a line, `<id>\t<text>`, UTF-8."""

import os


def read_records(path):
    """The (id, text) records of the corpus file at `path`, in file order.

    The id is stripped and each run of whitespace in the text becomes one space. A line
    without a tab is a record with an empty text; a last line without a newline counts.
    """
    records = []
    fd = os.open(path, os.O_RDONLY)
    try:
        line = bytearray()
        while True:
            byte = os.read(fd, 1)
            if not byte:
                break
            if byte == b"\n":
                records.append(_parse(bytes(line)))
                line.clear()
            else:
                line += byte
        if line:
            records.append(_parse(bytes(line)))
    finally:
        os.close(fd)
    return records


def _parse(raw):
    ident, _, text = raw.decode("utf-8").partition("\t")
    return ident.strip(), " ".join(text.split())
