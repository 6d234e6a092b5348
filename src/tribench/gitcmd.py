"""Running git the same way on every machine: fixed identity, no user config, no network for paths.

What a worktree contains, and whether a patch applies, must not depend on the user's
`~/.gitconfig` (autocrlf, hooks, filters, `apply.whitespace`, ...) nor on a `GIT_DIR` leaking in
from a calling hook. Network transport is allowed only for a repository given as a URL.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tribench.process import kill_tree

# Local operations (worktree add, apply, status) are quick; a clone of a big repository is not.
LOCAL_TIMEOUT_S = 600.0
NETWORK_TIMEOUT_S = 3600.0

_IDENTITY = ("-c", "user.name=tribench", "-c", "user.email=tribench@localhost")
_FIXED_CONFIG = (
    *_IDENTITY,
    "-c", "core.hooksPath=/dev/null",  # no hook of any repository ever runs
    "-c", "core.autocrlf=false",
    "-c", "core.fsmonitor=false",
    "-c", "advice.detachedHead=false",
    "-c", "gc.auto=0",  # no background gc racing a concurrent worktree add
)
# Variables that say *how to reach* a remote (ssh keys, proxies, CA bundles, tracing) are kept;
# every other GIT_* variable (GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_PARAMETERS, ...) is dropped.
_KEPT_PREFIXES = ("GIT_SSH", "GIT_SSL_", "GIT_PROXY_", "GIT_HTTP_", "GIT_TRACE", "GIT_ASKPASS")
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|[\w.-]+@[\w.-]+:)")


def is_url(repo: str) -> bool:
    """`https://...`, `ssh://...`, `file://...` or scp-like `git@host:path`; anything else is a path."""
    return bool(_URL.match(repo))


@dataclass
class GitResult:
    args: list[str]
    returncode: int | None  # None: killed on timeout
    stdout: bytes
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace").strip()

    def reason(self) -> str:
        """git's own words for a failure, for the record."""
        if self.returncode is None:
            return f"git {self.args[0]} timed out"
        text = self.stderr.strip() or self.out
        return text or f"git {self.args[0]} exited with {self.returncode}"


def git_env(*, network: bool = False, user_config: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith(_KEPT_PREFIXES)}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "LANGUAGE": "C"})
    if not user_config:
        env["GIT_CONFIG_GLOBAL"] = os.devnull
    if not network:
        # "file" covers local paths and file:// URLs: a path can never turn into a fetch from the net.
        env["GIT_ALLOW_PROTOCOL"] = "file"
    env.update(extra or {})
    return env


def git(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,  # noqa: A002 - mirrors subprocess.run
    network: bool = False,
    user_config: bool = False,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> GitResult:
    """Run `git <args>` (never through a shell); a timeout kills git and its helpers.

    `user_config=True` is only for clone/fetch of a URL, where credential helpers and
    `url.<base>.insteadOf` of the user may be needed to reach a private repository.
    """
    timeout = timeout_s if timeout_s is not None else (NETWORK_TIMEOUT_S if network else LOCAL_TIMEOUT_S)
    argv = ["git", *_FIXED_CONFIG, *args]
    process = subprocess.Popen(
        argv, cwd=cwd, env=git_env(network=network, user_config=user_config, extra=env),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(process)
        stdout, stderr = process.communicate()
        return GitResult(list(args), None, stdout, stderr.decode("utf-8", errors="replace"))
    except BaseException:
        kill_tree(process)
        raise
    return GitResult(list(args), process.returncode, stdout, stderr.decode("utf-8", errors="replace"))
