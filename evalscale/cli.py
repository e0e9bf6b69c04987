"""The `evalscale` command: dispatches a subcommand to its module in `evalscale.commands`."""

from __future__ import annotations

import importlib
import sys

from evalscale.commands import COMMANDS

INTERRUPTED = 130  # the shell's exit status for a command stopped by SIGINT


def usage() -> str:
    """The help text listing the subcommands."""
    lines = ["usage: evalscale COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {about}" for name, about in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run `evalscale COMMAND ARGS...`; each command module exposes main(argv) -> int. A Ctrl-C that the
    command does not handle itself is one line and exit 130, not a traceback."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"evalscale: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"evalscale.commands.{name.replace('-', '_')}")
    try:
        return int(module.main(rest) or 0)
    # e.g. Ctrl-C while the engine loads: what is stored stays (the sweep marks its run partial)
    except KeyboardInterrupt:
        print(f"evalscale {name}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
