"""YAML read so that an error can name the line: the watchlist and the tag rules use it.

Line numbers come from the node tree, so an error points at the line the user must edit.
"""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml's safe loader when PyYAML was built with it: 7x faster on a 5,000-page watchlist
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"


def load_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (for `line_map`) from one parse of `text`.

    What `yaml.load` gives, built from the tree `yaml.compose` gives, instead of parsing the
    text twice (a tenth of a second on a 5,000-page watchlist). Raises `yaml.YAMLError`.
    """
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def line_map(node: yaml.Node | None) -> dict[tuple, int]:
    """Each path of the document (keys and list indexes) -> its 1-based line.

    Keys keep their YAML type (`1:` is the int 1, as in the loaded data); plain string
    keys, nearly all of them, are taken as they are without a second parse.
    """
    out: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        out.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != _STR:
                    key = yaml.load(yaml.serialize(k), Loader=LOADER)  # noqa: S506 - safe loader
                else:
                    key = k.value if isinstance(k, yaml.ScalarNode) else k
                out[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, path + (i,))

    if node is not None:
        walk(node, ())
    return out
