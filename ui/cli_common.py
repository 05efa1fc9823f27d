"""Shared plumbing for every ``whyrec`` subcommand.

Why: each command must (1) build settings only here, at the entry point, (2) print
exactly one JSON document on stdout with ``--json`` while logs go to stderr, and
(3) turn our errors into one friendly line and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

from agent.settings import Settings, apply_runtime_settings, load_settings
from tools.errors import WhyRecError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("whyrec")

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout (logs go to stderr).")


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def get_settings(ctx: typer.Context | None = None, **overrides: Any) -> Settings:
    """Settings for this invocation: the root callback's overrides plus the command's own."""
    base: dict[str, Any] = {}
    if ctx is not None:
        root = ctx.find_root()
        if isinstance(root.obj, dict):
            base.update(root.obj.get("overrides", {}))
    base.update({k: v for k, v in overrides.items() if v is not None})
    settings = load_settings(**base)
    apply_runtime_settings(settings)
    return settings


def _default(o: Any) -> Any:
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def emit(data: Any, as_json: bool, human: Callable[[Any], str] | str | None = None) -> None:
    """One JSON document on stdout, or a human rendering."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
        sys.stdout.flush()
        return
    if callable(human):
        text = human(data)
    elif isinstance(human, str):
        text = human
    else:
        text = to_json(data)
    typer.echo(text)


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def friendly_errors(func: F) -> F:
    """Turn WhyRecError/ValueError/FileNotFoundError into one line on stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except (WhyRecError, ValueError, FileNotFoundError, PermissionError) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", code=130)
        return None

    return wrapper  # type: ignore[return-value]
