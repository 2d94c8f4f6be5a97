"""Usage errors of the command line in HR's language.

argparse words its own errors in English. ``--lang zh`` on the command
line (the only language known before the arguments are parsed) makes the
usual ones Chinese: a missing or unknown argument, a bad value, an
unknown choice. Anything else keeps argparse's words after a Chinese
lead-in.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from scheduler.core.messages import Msg

#: argparse's messages (Python 3.11) -> catalogue key and fields.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"the following arguments are required: (?P<names>.+)"),
        "usage.arg.required",
    ),
    (
        re.compile(
            r"argument (?P<arg>\S+): invalid choice: (?P<value>.+?) "
            r"\(choose from (?P<choices>.+)\)"
        ),
        "usage.arg.choice",
    ),
    (
        re.compile(r"argument (?P<arg>\S+): invalid \w+ value: (?P<value>.+)"),
        "usage.arg.value",
    ),
    (
        re.compile(r"argument (?P<arg>\S+): expected one argument"),
        "usage.arg.one",
    ),
    (
        re.compile(r"unrecognized arguments: (?P<names>.+)"),
        "usage.arg.unrecognized",
    ),
)


def usage_message(detail: str) -> Msg:
    """argparse's ``detail`` as a catalogue message."""
    for pattern, key in _PATTERNS:
        m = pattern.fullmatch(detail)
        if m:
            return Msg(key, **m.groupdict())
    return Msg("usage.arg.other", detail=detail)


def lang_in_argv(argv: list[str]) -> str:
    """The ``--lang`` given on the command line (``en`` if none)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        else:
            continue
        if value.strip().casefold().startswith("zh"):
            return "zh"
    return "en"


class HRParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors follow ``lang`` (set before parsing;
    subcommand parsers are of the same class and read the same value)."""

    lang = "en"

    def error(self, message: str) -> NoReturn:
        if HRParser.lang == "en":
            super().error(message)
        usage = self.format_usage().replace("usage: ", "用法：", 1)
        text = Msg(
            "usage.argument", prog=self.prog, detail=usage_message(message)
        )
        sys.stderr.write(usage + text.render(HRParser.lang) + "\n")
        sys.exit(2)
