"""``rekam-provision --help`` in the technician's language (Indonesian unless ``--lang en``).

The help texts and descriptions written in the parsers are English msgids of the
``provisioning`` catalog; :func:`localize_parser` gives every parser and sub-parser a help
formatter that shows them translated (argparse's own words too: "usage:", "options", the
``-h`` line). The language is read from the command line before the parser exists
(:func:`language_of`), because ``--help`` prints while the arguments are parsed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any

from ektp.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translate

DOMAIN = "provisioning"
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
)


def language_of(argv: Sequence[str]) -> str:
    """The ``--lang`` given on the command line (before any ``--``), else Indonesian."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        if value in LANGUAGES:
            return value
    return DEFAULT_LANGUAGE


def _formatter(language: str) -> type[argparse.HelpFormatter]:
    def tr(text: str) -> str:
        return translate(text, language, domain=DOMAIN)

    class TranslatedHelp(argparse.HelpFormatter):
        def _get_help_string(self, action: argparse.Action) -> str | None:
            text = super()._get_help_string(action)
            return tr(text) if text else text

        def _format_text(self, text: str) -> str:
            return super()._format_text(tr(text) if text else text)

        def add_usage(
            self, usage: Any, actions: Any, groups: Any, prefix: str | None = None
        ) -> None:
            super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)

        def start_section(self, heading: str | None) -> None:
            super().start_section(tr(heading) if heading else heading)

    return TranslatedHelp


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every sub-parser below it, each once."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def help_texts(parser: argparse.ArgumentParser) -> list[str]:
    """Every description and help text of ``parser`` and its sub-parsers (the msgids)."""
    texts: list[str] = []
    for each in parsers(parser):
        texts += [each.description or ""]
        for action in each._actions:
            texts += [action.help or ""]
            if isinstance(action, argparse._SubParsersAction):
                texts += [choice.help or "" for choice in action._choices_actions]
        texts += [group.title or "" for group in each._action_groups]
    return [t for t in dict.fromkeys(texts) if t and t != argparse.SUPPRESS]


def localize_parser(parser: argparse.ArgumentParser, language: str) -> None:
    """Show ``parser``'s (and its sub-parsers') help in ``language``."""
    formatter = _formatter(language)
    for each in parsers(parser):
        each.formatter_class = formatter
