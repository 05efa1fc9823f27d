"""``whyrec train``: fit the scorers (each command lives beside its area's CLI module)."""

from __future__ import annotations

import importlib

import typer

train_app = typer.Typer(help="Train scorers: `whyrec train gcn` (LightGCN), `whyrec train rl` (RL policy).",
                        no_args_is_help=True)

for _module, _attr, _name in (("ui.cli_train_gcn", "train_gcn", "gcn"), ("ui.cli_train_rl", "train_rl", "rl")):
    try:
        train_app.command(_name)(getattr(importlib.import_module(_module), _attr))
    except ModuleNotFoundError as exc:  # the area has not landed yet
        if exc.name != _module:
            raise
