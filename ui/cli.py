"""The ``whyrec`` command line: the composition root.

Each area registers its own sub-app from ``ui/cli_<area>.py``; a subcommand exists
only once it works. Settings are built here from ``--data-dir``/``--config``, the
``WHYREC_*`` environment and ``whyrec.toml``; nothing is read at import time.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from ui.cli_common import setup_logging

app = typer.Typer(
    name="whyrec",
    help=(
        "WhyRec: a conversational recommender that can always say why.\n\n"
        "Typical first steps: `whyrec data prepare` (catalog), `whyrec index build` (vectors), "
        "`whyrec train gcn` and `whyrec train rl` (scorers), `whyrec llm serve --background` "
        "(local LLM), then `whyrec ui` or `whyrec chat`. Every command that prints results "
        "takes --json."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_callback(
    ctx: typer.Context,
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (default ./var or WHYREC_DATA_DIR)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging on stderr."),
) -> None:
    setup_logging(verbose)
    ctx.obj = {"overrides": {"data_dir": data_dir} if data_dir else {}}


#: (module, attribute, name) of every sub-app (a module that fails to import is an error, never skipped)
_SUBAPPS = [
    ("ui.cli_data", "data_app", "data"),
    ("ui.cli_data", "catalog_app", "catalog"),
    ("ui.cli_llm", "llm_app", "llm"),
    ("ui.cli_retrieval", "index_app", "index"),
    ("ui.cli_train", "train_app", "train"),
    ("ui.cli_causal", "causal_app", "causal"),
    ("ui.cli_causal_segments", "causal_app", "causal"),
    ("ui.cli_eval", "eval_app", "eval"),
]
#: (module, attribute, name) of top-level commands
_COMMANDS = [
    ("ui.cli_retrieval", "search_command", "search"),
    ("ui.cli_audit", "why_command", "why"),
    ("ui.cli_audit", "audit_command", "audit"),
    ("ui.cli_chat", "chat_command", "chat"),
    ("ui.cli_ui", "ui_command", "ui"),
]


def _register() -> None:
    for module_name, attr, name in _SUBAPPS + _COMMANDS:
        obj = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, typer.Typer):
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
