"""Shell completion for bash, zsh and fish, computed from the real argparse parser.

``kubetui completion SHELL`` prints a small script that hands the words being completed
to ``kubetui __complete WORD… CURRENT`` and offers what it prints, one candidate a line
(the scheme of cobra's ``__complete``, spf13/cobra ``completions.go``, which kubectl's
own completion uses). All the knowledge stays here, read from :func:`kubetui.cli
.build_parser` at the moment of the TAB, so a new command or flag completes without
anyone keeping a list: commands, every flag of the command on the line, ``choices``, and
values that only the environment knows: kubeconfig contexts, namespaces (the contexts'
own, plus the server's when it answers within :data:`SERVER_TIMEOUT`) and theme names.
A flag that takes a file prints :data:`FILES` and the shell completes a path itself.

The parser is walked through ``ArgumentParser._actions`` and the subparsers action's
``choices``: private names, but the ones argcomplete and shtab read too, and stable
since Python 3.2 (cpython ``Lib/argparse.py``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence

#: The hidden command the scripts call (cobra's name for it).
COMPLETE = "__complete"
#: The line that asks the shell to complete a file name.
FILES = ":files"
#: (connect, read) seconds a TAB may wait for the server's namespaces.
SERVER_TIMEOUT = (1.0, 2.0)
SHELLS = ("bash", "zsh", "fish")
#: A flag takes a file when its help says so (metavar) or its name does (dest).
_FILE_METAVARS = ("FILE", "PATH")
_FILE_DEST_ENDINGS = ("file", "_out")

_BASH = r"""# kubetui completion for bash: eval "$(kubetui completion bash)" in ~/.bashrc
_kubetui_complete() {
    local IFS=$'\n' current="${COMP_WORDS[COMP_CWORD]}" found
    found=$(kubetui __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
    if [[ $found == ":files" ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$current"))
    else
        COMPREPLY=($(compgen -W "$found" -- "$current"))
    fi
}
complete -F _kubetui_complete kubetui
"""

_ZSH = r"""#compdef kubetui
# kubetui completion for zsh: source <(kubetui completion zsh) in ~/.zshrc (after compinit)
_kubetui_complete() {
    local -a found
    found=("${(@f)$(kubetui __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ ${found[1]} == ":files" ]]; then
        _files
    elif [[ -n ${found[1]} ]]; then
        compadd -- "${found[@]}"
    fi
}
compdef _kubetui_complete kubetui
"""

_FISH = r"""# kubetui completion for fish: kubetui completion fish | source
function __kubetui_complete
    set -l found (kubetui __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)
    if test "$found" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $found
    end
end
complete -c kubetui -f -a '(__kubetui_complete)'
"""

SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: a for a in parser._actions for option in a.option_strings}


def _positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
    ]


def _dest(action: argparse.Action) -> str:
    """The dest without the prefix of a shared flag given before the command."""
    return action.dest.rsplit("__", 1)[-1]


def complete(parser: argparse.ArgumentParser, words: Sequence[str]) -> list[str]:
    """The candidates for the last of ``words`` (the arguments after the program name;
    the last is the word under the cursor, maybe empty), or ``[FILES]``."""
    *before, current = words or [""]
    active = parser
    given: dict[str, str] = {}
    pending: argparse.Action | None = None
    positional = 0
    for word in before:
        if pending is not None:
            given[_dest(pending)] = word
            pending = None
        elif word.startswith("-") and word != "-":
            action = _options(active).get(word)
            if action is not None and action.nargs != 0:
                pending = action
        elif positional == 0 and word in (commands := _subcommands(active)):
            active = commands[word]
        else:
            positional += 1
    if pending is not None:
        return _values(pending, current, given)
    if current.startswith("-"):
        return sorted(o for o in _options(active) if o.startswith(current))
    if positional == 0 and (commands := _subcommands(active)):
        return sorted(c for c in commands if c.startswith(current) and not c.startswith("_"))
    places = _positionals(active)[positional : positional + 1]
    return [str(c) for a in places for c in a.choices or () if str(c).startswith(current)]


def _values(action: argparse.Action, current: str, given: dict[str, str]) -> list[str]:
    """Values for ``action``'s argument that start with ``current``."""
    dest = _dest(action)
    if action.metavar in _FILE_METAVARS or dest.endswith(_FILE_DEST_ENDINGS):
        return [FILES]
    if action.choices:
        found: Iterable[str] = map(str, action.choices)
    elif dest == "context":
        from kubetui.sources.kube_client import kubeconfig_contexts

        found = kubeconfig_contexts(given.get("kubeconfig"))
    elif dest in ("namespace", "namespaces", "exclude_namespaces"):
        found = _namespaces(given.get("kubeconfig"), given.get("context"))
    elif dest == "theme":
        found = _themes()
    else:
        return []
    return sorted({v for v in found if v.startswith(current)})


def _namespaces(kubeconfig: str | None, context: str | None) -> set[str]:
    """The namespaces the kubeconfig's contexts name, and the server's when it answers
    in time (a TAB must not hang on an unreachable cluster)."""
    from kubetui.sources.kube_client import KubeError, connect, kubeconfig_namespaces

    found = kubeconfig_namespaces(kubeconfig)
    try:
        kube = connect(kubeconfig, context)
        body = json.loads(kube.get("/api/v1/namespaces", timeout=SERVER_TIMEOUT))
    except (KubeError, ValueError):
        return found
    names = (i.get("metadata", {}).get("name") or "" for i in body.get("items", ()))
    # Cluster text on the operator's command line: only names that are plain text.
    return found | {name for name in names if name.isprintable()}


def _themes() -> list[str]:
    """Every theme ``--theme`` accepts: kubetui's, the user's and Textual's own."""
    from textual.theme import BUILTIN_THEMES

    from kubetui.paths import user_themes_dir
    from kubetui.ui.themes import BUNDLED_DIR, load_themes

    themes, _problems = load_themes([BUNDLED_DIR, user_themes_dir()])
    return [*(t.name for t in themes), *BUILTIN_THEMES]


def run_complete(words: Sequence[str]) -> int:
    """``kubetui __complete WORD…``: print the candidates, one a line."""
    from kubetui.cli import build_parser

    for candidate in complete(build_parser(), words):
        print(candidate)
    return 0


def kubectl_complete_main() -> int:
    """``kubectl_complete-kubetui WORD…``: what kubectl v1.26+ runs to complete ``kubectl
    kubetui …`` (kubernetes/kubernetes PR 105867; kubernetes/sample-cli-plugin README,
    "Shell completion"). It expects cobra's answer: the candidates, then ``:DIRECTIVE``
    (spf13/cobra ``completions.go``: 0 lets the shell complete files, 4 forbids it)."""
    import sys

    from kubetui.cli import build_parser

    found = complete(build_parser(), sys.argv[1:])
    for candidate in () if found == [FILES] else found:
        print(candidate)
    print(":0" if found == [FILES] else ":4")
    return 0
