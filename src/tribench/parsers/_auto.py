"""`auto`: the parser whose `detect` claims the output, when exactly one does.

Every registered parser is asked; structured (JSON) files are claimed only by the parsers of
structured files and console text only by the text parsers, since each `detect` looks at the
document's kind first. None claiming it is an error naming the parsers tried, two claiming it
is an ambiguity error naming both: pass `--parser` then.
"""

from __future__ import annotations

from tribench.parsers._base import Document, Options, ParsedMetrics, ParseError, Parser


class AutoParser(Parser):
    name = "auto"
    description = "detects which parser applies (JSON result files first, then console text)"

    def detect(self, doc: Document) -> bool:
        return False  # never a candidate of itself

    def check_options(self, doc: Document, options: Options) -> None:
        pass  # the parser it picks checks them

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        parser = self.choose(doc)
        parser.check_options(doc, options)
        return parser.parse(doc, options)

    @staticmethod
    def choose(doc: Document) -> Parser:
        from tribench.parsers._registry import REGISTRY

        tried = [REGISTRY.get(name) for name in REGISTRY.names() if name != AutoParser.name]
        claims = [parser for parser in tried if parser.detect(doc)]
        kind = "JSON file" if doc.is_json else "text"
        if not claims:
            raise ParseError(f"no parser recognises this {kind} (tried {', '.join(p.name for p in tried)}); "
                             "pass --parser NAME, or a `json:<path>=<metric>` / "
                             "`regex:<metric>=<pattern>` spec", path=doc.name)
        if len(claims) > 1:
            raise ParseError(f"ambiguous output: {', '.join(p.name for p in claims)} all recognise "
                             "this " + kind + "; pass --parser NAME to say which", path=doc.name)
        return claims[0]


AUTO = AutoParser()
