"""The one registry of output parsers (STYLE.md 31, after lm-eval's `api/registry.py`).

Parsers are registered by name with a `"module:attribute"` target and imported only when first
asked for, so `import tribench.parsers` stays cheap. On load the target is type-checked (it
must be a `Parser` whose `name` is the registered name); registering a name twice is an error,
and an unknown name is a user error that suggests the closest names.
"""

from __future__ import annotations

import difflib
import importlib

from tribench.errors import UserError
from tribench.parsers._base import Parser


class RegistryError(Exception):
    """A programming error in the parser table: a duplicate name or a target of the wrong type."""


class ParserRegistry:
    def __init__(self) -> None:
        self._targets: dict[str, str] = {}
        self._loaded: dict[str, Parser] = {}

    def register(self, name: str, target: str | Parser) -> None:
        """Register `target` ("package.module:ATTRIBUTE", loaded lazily, or a Parser) as `name`."""
        if name in self._targets or name in self._loaded:
            raise RegistryError(f"parser {name!r} is already registered "
                                f"(as {self._targets.get(name) or type(self._loaded[name]).__name__})")
        if isinstance(target, Parser):
            self._loaded[name] = self._checked(name, target, origin=type(target).__name__)
        elif isinstance(target, str) and target.count(":") == 1:
            self._targets[name] = target
        else:
            raise RegistryError(f"parser {name!r}: target must be 'module:attribute' or a Parser, "
                                f"not {target!r}")

    def names(self) -> list[str]:
        return sorted({*self._targets, *self._loaded})

    def get(self, name: str) -> Parser:
        if name in self._loaded:
            return self._loaded[name]
        target = self._targets.get(name)
        if target is None:
            close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UserError(f"unknown parser {name!r}{hint}. Known: {', '.join(self.names())}, "
                            "or a `json:<path>=<metric>` / `regex:<metric>=<pattern>` spec",
                            field="parser")
        module_name, attribute = target.split(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        self._loaded[name] = self._checked(name, obj, origin=target)
        del self._targets[name]
        return self._loaded[name]

    @staticmethod
    def _checked(name: str, obj: object, *, origin: str) -> Parser:
        if not isinstance(obj, Parser):
            raise RegistryError(f"parser {name!r} ({origin}) is a {type(obj).__name__}, not a Parser")
        if obj.name != name:
            raise RegistryError(f"parser {name!r} ({origin}) calls itself {obj.name!r}")
        return obj


REGISTRY = ParserRegistry()

# name -> target. `auto` is a parser too: it runs every other parser's `detect`.
for _name, _target in {
    "auto": "tribench.parsers._auto:AUTO",
    "vllm-serve": "tribench.parsers.vllm:SERVE",
    "vllm-latency": "tribench.parsers.vllm:LATENCY",
    "vllm-throughput": "tribench.parsers.vllm:THROUGHPUT",
    "sglang-serve": "tribench.parsers.sglang:SERVE",
    "sglang-one-batch": "tribench.parsers.sglang:ONE_BATCH",
    "pytest-benchmark": "tribench.parsers.pytest_benchmark:PARSER",
    "hyperfine": "tribench.parsers.hyperfine:PARSER",
}.items():
    REGISTRY.register(_name, _target)
