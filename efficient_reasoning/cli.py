"""What every command shares: its `--help` layout, its input checks and how it ends.

An error the user can fix (a setting, a file, a row, a folder) is raised as a `UsageError` (or one of its
subclasses, which are also the matching built-in errors); `run_command` prints it as one line, `error: ...`, on
stderr and exits with code 2. Any other exception is a bug and keeps its traceback. `--debug` (or the environment
variable `EFFICIENT_REASONING_DEBUG=1`) shows the traceback of a usage error too. Ctrl-C ends any command with one
line and exit code 130, keeping what was written.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

DEBUG_ENV = "EFFICIENT_REASONING_DEBUG"
USAGE_EXIT = 2
INTERRUPT_EXIT = 130
INTERRUPTED = "Interrupted: what was written so far (samples, checkpoints) is kept; rerun the same command to resume."


class UsageError(Exception):
    """An error the user can fix: a setting, a file, a row, a folder. Printed as one line, without a traceback."""


class SettingError(UsageError, ValueError):
    """A bad value of a setting or a bad input (a row, a file's content)."""


class MissingPathError(UsageError, FileNotFoundError):
    """An input file or folder that does not exist."""


class NotAFolderError(UsageError, NotADirectoryError):
    """A path that should be a folder and is a file."""


def nearest(name: str, names, what: str = "") -> str:
    """`; did you mean 'x'?` when a valid name lies close to `name`, else ''."""
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"; did you mean {what}{match[0]!r}?" if match else ""


def one_line(message: str) -> str:
    """A message on one line: its lines joined with '; '."""
    return "; ".join(line.strip() for line in str(message).splitlines() if line.strip())


def _debug(argv: list[str]) -> tuple[bool, list[str]]:
    debug = os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")
    if "--debug" in argv:
        debug, argv = True, [a for a in argv if a != "--debug"]
    return debug, argv


def run_command(main, argv: list[str] | None = None):
    """Run a command's `main(argv)`: a `UsageError` ends it with one line on stderr and exit code 2 (`--debug` or
    `EFFICIENT_REASONING_DEBUG=1`: with its traceback), Ctrl-C with one line and exit code 130; what was written
    is kept. Other exceptions propagate with their traceback."""
    debug, argv = _debug(list(sys.argv[1:] if argv is None else argv))
    try:
        return main(argv)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(INTERRUPT_EXIT) from None
    except UsageError as error:
        if debug:
            raise
        print(f"error: {one_line(error)}", file=sys.stderr)
        raise SystemExit(USAGE_EXIT) from None


def exit_code(result) -> int:
    """A command's exit status from what its `main` returned (an int is the status; anything else means 0)."""
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def command(main) -> None:
    """The body of a command's `if __name__ == "__main__":` block."""
    raise SystemExit(exit_code(run_command(main)))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The module docstring as written, and every option's default in `--help` (unless its help gives it);
    required options say so."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.required and action.option_strings:
            return f"{text} (required)".strip()
        if "default" in text or action.default is argparse.SUPPRESS or not action.option_strings:
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


def _raise_usage_error(message: str):
    raise SettingError(message)


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make `parser`'s own errors (a bad type, an unknown choice, a missing option) a `SettingError` with argparse's
    message, `argument --limit: invalid int value: 'x'`, instead of the usage text and exit code 2."""
    parser.error = _raise_usage_error
    return parser


class ArgumentParser(argparse.ArgumentParser):
    """The commands' parser: `HelpFormatter`, errors raised as `SettingError` (one line, see `run_command`), and no
    abbreviated options (`--max_model 64` would pass the checks that look for `--max_model_len` by name)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        one_line_errors(self)


class ItemList(argparse.Action):
    """A list option that takes its items either way, `--benchmarks gsm8k,math500` or `--benchmarks gsm8k math500`
    (nargs="+"): the items joined with commas, as the command parses them; with `kind` (e.g. `int`), a list of them."""

    def __init__(self, *args, kind=None, **kwargs):
        kwargs.setdefault("nargs", "+")
        super().__init__(*args, **kwargs)
        self.kind = kind

    def __call__(self, parser, namespace, values, option_string=None):
        items = [item.strip() for value in values for item in str(value).split(",") if item.strip()]
        if self.kind is None:
            setattr(namespace, self.dest, ",".join(items))
            return
        try:
            setattr(namespace, self.dest, [self.kind(item) for item in items])
        except ValueError:
            bad = next(item for item in items if not _converts(self.kind, item))
            parser.error(f"argument {option_string}: invalid {self.kind.__name__} value: {bad!r}")


def _converts(kind, item: str) -> bool:
    try:
        kind(item)
    except ValueError:
        return False
    return True


def hub_repo_id(value: str) -> str:
    """An argparse type: the Hub repo id a command pushes to (`user/name`). Training's `push_to_hub` is a flag (with
    `hub_model_id`); here the option names the repo, so `true` or `false` is a mistake, not a repo called so."""
    if value.lower() in {"true", "false", "yes", "no", "1", "0"} or not value.strip() or value.count("/") > 1:
        raise argparse.ArgumentTypeError(f"takes the Hub repo id to push to (user/name), got {value!r}")
    return value


# Input and output checks, run before any model loads.


def check_range(name: str, value, low=None, high=None, low_open: bool = False) -> None:
    """Fail with `NAME must be >= LOW, got V` (or `in [LOW, HIGH]`, `> LOW`) when `value` is out of range."""
    if value is None:
        return
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and value > high
    if below or above:
        if high is None:
            bounds = f"> {low}" if low_open else f">= {low}"
        else:
            bounds = f"in ({low}, {high}]" if low_open else f"in [{low}, {high}]"
        raise SettingError(f"{name} must be {bounds}, got {value}")


def check_input_path(path: str | Path, option: str, folder: bool | None = None) -> Path:
    """An input that must exist (`folder`: and be a folder, or be a file with `folder=False`)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise MissingPathError(f"{option}: {str(path)!r} does not exist")
    if folder is True and not p.is_dir():
        raise NotAFolderError(f"{option}: {str(path)!r} is a file; give a folder")
    if folder is False and p.is_dir():
        raise SettingError(f"{option}: {str(path)!r} is a folder; give a file")
    return p


def check_utf8(path: str | Path) -> None:
    """A text file the user gave is UTF-8: a byte that is not is a one-line error naming the file, line and column
    (`datasets` and pyarrow would stop later, naming neither)."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SettingError(f"{path}:{number}: byte 0x{line[e.start]:02x} at column {e.start + 1} is not "
                                   "UTF-8; save the file as UTF-8") from None  # fmt: skip


def read_text(path: str | Path) -> str:
    """A text file the user gave (a recipe, questions, a data file), checked by `check_utf8`."""
    check_utf8(path)
    return Path(path).read_text(encoding="utf-8")


def check_output_dir(path: str | Path, option: str = "--output_dir", inputs=None) -> Path:
    """Fail before anything loads when the output folder `path` cannot be written: it is a file, a file lies on
    its way, it is not writable, or it is (or lies inside) one of the command's `inputs` (option -> path, or
    (option, path) pairs)."""
    if path is None or str(path) == "":
        raise SettingError(f"{option} is required")
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise NotAFolderError(f"{option}: {str(path)!r} is a file; give a folder (new or existing)")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise NotAFolderError(f"{option}: {str(existing)!r} is a file, so {str(path)!r} cannot be created")
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise SettingError(f"{option}: {str(existing)!r} is not writable; give a folder you can write to")
    resolved = out.resolve()
    for name, source in inputs.items() if isinstance(inputs, dict) else inputs or ():
        if not source:
            continue
        src = Path(source).expanduser()
        if not src.exists():
            continue
        src = src.resolve()
        if resolved == src or src in resolved.parents:
            raise SettingError(f"{option} {str(path)!r} lies in the command's own input {name} {str(source)!r}; "
                               "give another folder")  # fmt: skip
    return out


def check_unused(argv, options, used: bool, why: str) -> None:
    """A setting that does nothing says so: fail when one of `options` is on the command line `argv` although
    `used` is False (`why`: when it would count, e.g. 'only with --target_tokens')."""
    if used or argv is None:
        return
    for option in options:
        if any(arg == option or arg.startswith(option + "=") for arg in map(str, argv)):
            raise SettingError(f"{option} does nothing here: {why}")


def own_options_first(parser: argparse.ArgumentParser, names, title: str, usage: str | None = None) -> None:
    """List the options `names` (destinations) first in `--help`, under `title`, and shorten the usage line."""
    names = set(names)
    group = parser.add_argument_group(title)
    for other in parser._action_groups:
        if other is group:
            continue
        moved = [a for a in other._group_actions if a.dest in names]
        other._group_actions[:] = [a for a in other._group_actions if a.dest not in names]
        group._group_actions.extend(moved)
    parser._action_groups.remove(group)
    parser._action_groups.insert(0, group)
    if usage:
        parser.usage = usage
