"""Messages HR reads, kept as a catalogue key with fields.

An input problem, a usage error or a warning is made once, where it is
found, as a :class:`Msg`: a key of the catalogue and the fields that fill
it in. It renders in any language at any time (``render(msg, "zh")``), so
the command line prints it in the workbook's language and the web page in
the page's language, from the same object.

A ``Msg`` *is* its English text (a ``str`` subclass): logs, run.json, and
code that looks for words in a message keep working unchanged. Text that
is no ``Msg`` (a message nobody has put in the catalogue yet) renders as
it is in every language. A field may itself be a ``Msg`` and is rendered
in the same language. A key missing from a language raises ``KeyError``,
so a forgotten translation fails a test (``tests/test_messages.py``)
rather than reaching HR.
"""

from __future__ import annotations

from typing import Any

from scheduler.core.i18n import normalise_lang
from scheduler.core.messages_capacity import EN as _CAP_EN
from scheduler.core.messages_capacity import ZH as _CAP_ZH
from scheduler.core.messages_input import EN as _INPUT_EN
from scheduler.core.messages_input import ZH as _INPUT_ZH
from scheduler.core.messages_run import EN as _RUN_EN
from scheduler.core.messages_run import ZH as _RUN_ZH

#: language -> key -> ``str.format`` template
CATALOGUE: dict[str, dict[str, str]] = {
    "en": {**_INPUT_EN, **_RUN_EN, **_CAP_EN},
    "zh": {**_INPUT_ZH, **_RUN_ZH, **_CAP_ZH},
}


class Msg(str):
    """A catalogue message; as a ``str`` it is the English text."""

    key: str
    fields: dict[str, Any]

    def __new__(cls, key: str, /, **fields: Any) -> Msg:
        obj = super().__new__(cls, _format(key, fields, "en"))
        obj.key = key
        obj.fields = fields
        return obj

    def __reduce__(self) -> tuple:
        # Pickled to the background process: rebuilt from key and fields.
        return (_rebuild, (self.key, self.fields))

    def render(self, lang: str) -> str:
        return _format(self.key, self.fields, normalise_lang(lang))


def _rebuild(key: str, fields: dict[str, Any]) -> Msg:
    return Msg(key, **fields)


def _format(key: str, fields: dict[str, Any], lang: str) -> str:
    template = CATALOGUE[lang][key]
    shown = {
        k: ", ".join(render(x, lang) for x in v)
        if isinstance(v, list)
        else render(v, lang)
        if isinstance(v, Msg)
        else v
        for k, v in fields.items()
    }
    return template.format(**shown)


def render(text: object, lang: str = "en") -> str:
    """``text`` in ``lang``: a Msg from the catalogue, anything else as
    it is (``str(text)``)."""
    if isinstance(text, Msg):
        return text.render(lang)
    return str(text)


def nothing() -> Msg:
    """An empty part of a message (an optional clause left out)."""
    return Msg("empty")
