"""What every command shares: its `--help` layout and how it ends on Ctrl-C."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The module docstring as written, and every option's default in `--help` (unless its help gives it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS or action.required or not action.option_strings:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return text
        return f"{text} (default: %(default)s)".strip()

    def _format_action(self, action: argparse.Action) -> str:
        if action.help is None and action.option_strings:  # an option with no help text still shows its default
            import copy

            action = copy.copy(action)
            action.help = "(default: %(default)s)"
        return super()._format_action(action)


def run_command(main, argv: list[str] | None = None):
    """Run a command's `main`; Ctrl-C ends it with one line (samples written so far are kept) and exit code 130."""
    import sys

    try:
        return main(argv)
    except KeyboardInterrupt:
        print("Interrupted: the samples written so far are kept; rerun the same command to finish.", file=sys.stderr)
        raise SystemExit(130) from None
