"""``whyrec train``: fit the scorers (each command lives beside its area's CLI module)."""

from __future__ import annotations

import importlib

import typer

train_app = typer.Typer(help="Train scorers: `whyrec train ranker` (the learned ranker), `whyrec train gcn` "
                             "(LightGCN), `whyrec train rl` (RL policy).",
                        no_args_is_help=True)

for _module, _attr, _name in (("ui.cli_train_gcn", "train_gcn", "gcn"), ("ui.cli_train_rl", "train_rl", "rl"),
                              ("ui.cli_train_ranker", "train_ranker", "ranker")):
    train_app.command(_name)(getattr(importlib.import_module(_module), _attr))
