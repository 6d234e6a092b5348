"""minitext: a tiny text-analytics library and token-streaming server (standard library only)."""

__version__ = "0.1.0"
