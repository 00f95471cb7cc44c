"""The operator's keys: the config file's ``keys:`` checked against the live bindings.

``keys: {pod-delete: ctrl+x}`` becomes Textual's keymap (``App.set_keymap``, textual
8.2.8 ``textual/app.py``): every binding with that id, on every screen, answers to the new
keys instead of its own. Textual accepts any text there and resolves a clash at the first
key press by dropping a binding (``BindingsMap.apply_keymap``, ``textual/binding.py``,
then ``App.handle_bindings_clash``), so the mistakes are found here first, before the
dashboard takes the terminal, each as one line naming the file and the entry: an id no
binding has, text that is not a key, and a key that would then mean two things on one
screen (two remapped ids, or a remap onto a key something there already answers to).

A screen's keys are its own bindings, those of the widgets it shows that take the focus
(a table, a list, a log) and the app's; a modal screen sees only its own and the app's
priority bindings (``Screen._modal_binding_chain``, textual 8.2.8 ``textual/screen.py``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.keys import Keys, _character_to_key, key_to_character
from textual.widgets import Log, OptionList, Tabs

from kubetui.errors import UserError

#: Modifiers Textual's key parser produces (textual 8.2.8 ``textual/_xterm_parser.py``).
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
#: Named keys without a modifier: escape, enter, tab, up, f1, pageup, …
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value) | {"space"}


def parse_keys(text: str) -> str:
    """``"ctrl+x, X"`` → Textual's normalised form (``"ctrl+x,X"``; ``":"`` → ``"colon"``),
    as ``App.set_keymap`` normalises it; ValueError (a phrase) if a part is not a key."""
    keys = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"no key in {text!r}")
        *modifiers, base = part.split("+") if part != "+" else [part]
        if not base:
            raise ValueError(f"{part!r}: no key after the modifier")
        for modifier in modifiers:
            if modifier not in MODIFIERS:
                known = ", ".join(sorted(MODIFIERS))
                raise ValueError(f"{part!r}: unknown modifier {modifier!r} (known: {known})")
        if len(base) == 1:
            base = _character_to_key(base)  # what App._normalize_keymap does
        elif base not in NAMED_KEYS and key_to_character(base) is None:
            raise ValueError(f"{part!r}: {base!r} is not a key name (e.g. x, X, f5, ctrl+x)")
        keys.append("+".join([*modifiers, base]))
    return ",".join(keys)


def _bindings(classes: Iterable[type[DOMNode]]) -> list[Binding]:
    """Every binding the classes declare (a subclass's and its bases'), one per key."""
    found: list[Binding] = []
    for cls in classes:
        for base in reversed(cls.__mro__):
            found.extend(Binding.make_bindings(vars(base).get("BINDINGS", ())))
    return found


def key_scopes() -> dict[str, list[Binding]]:
    """Each screen kubetui shows and the bindings that share its keys."""
    from kubetui.ui.action_runner import ActionRunScreen
    from kubetui.ui.app import KubetuiApp
    from kubetui.ui.cleanup_screen import CleanupScreen
    from kubetui.ui.confirm import ConfirmScreen, ForceConfirmScreen
    from kubetui.ui.detail import PodDetailScreen
    from kubetui.ui.dialogs import HelpScreen, NamespacePicker
    from kubetui.ui.line_table import LineTable
    from kubetui.ui.main_screen import MainScreen
    from kubetui.ui.views.engines import EnginesView
    from kubetui.ui.views.findings import FindingsView
    from kubetui.ui.views.hot_loops import HotLoopsView
    from kubetui.ui.views.nodes import NodesView
    from kubetui.ui.views.pods import PodsView

    app = _bindings([KubetuiApp])
    priority = [b for b in app if b.priority]
    views = [FindingsView, PodsView, EnginesView, NodesView, HotLoopsView]
    modals = {
        "the action run": ActionRunScreen,
        "the confirmation": ConfirmScreen,
        "the force-delete confirmation": ForceConfirmScreen,
        "the help": HelpScreen,
    }
    return {
        "the main screen": app + _bindings([MainScreen, *views, LineTable]),
        "the pod detail": app + _bindings([PodDetailScreen, Tabs, VerticalScroll, Log]),
        "the cleanup screen": app + _bindings([CleanupScreen, OptionList, VerticalScroll]),
        "the namespace picker": priority + _bindings([NamespacePicker, OptionList]),
        **{name: priority + _bindings([modal]) for name, modal in modals.items()},
    }


def check_keymap(keys: Mapping[str, str], where: str) -> dict[str, str]:
    """``keys`` (binding id → keys, from the file ``where``) normalised for
    ``App.set_keymap``; UserError, one line naming the entry, for the first mistake."""
    scopes = key_scopes()
    known = {b.id for bindings in scopes.values() for b in bindings if b.id}
    keymap: dict[str, str] = {}
    for ident, text in keys.items():
        if ident not in known:
            close = difflib.get_close_matches(ident, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (? lists the ids)"
            raise UserError(f"{where}: keys.{ident}: no binding has this id{hint}")
        try:
            keymap[ident] = parse_keys(text)
        except ValueError as exc:
            raise UserError(f"{where}: keys.{ident}: {exc}") from None
    for scope, bindings in scopes.items():
        holders: dict[str, dict[str, None]] = {}
        for binding in bindings:
            label = binding.id or binding.action
            mapped = keymap.get(binding.id or "")
            for key in mapped.split(",") if mapped else [binding.key]:
                holders.setdefault(key, {})[label] = None
        for key, labels in holders.items():
            remapped = [ident for ident in keymap if ident in labels]
            if len(labels) > 1 and remapped:
                ident = remapped[-1]
                others = ", ".join(label for label in labels if label != ident)
                raise UserError(  # the key as the file names it (Textual's name)
                    f"{where}: keys.{ident}: {key!r} is already bound to {others} on {scope}"
                )
    return keymap
