"""The embedded demo suites: a small codebase, human commits and demo agents' patches.

`build_demo_suite(out_dir)` makes a local git repository (identical commit hashes on every
build), a task file and a predictions file that `tribench run` measures without network,
GPU or downloads. Each demo patch is designed to produce one outcome (`DemoSuite.expected`),
with a margin large enough that measurement noise cannot change it: together they exercise
every verdict and every agent-owned failure.
"""

from tribench.demo._build import DemoSuite, build_demo_suite
from tribench.demo._suite import EXPECTED_OUTCOMES, available_suites

__all__ = ["EXPECTED_OUTCOMES", "DemoSuite", "available_suites", "build_demo_suite"]
