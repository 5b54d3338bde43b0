"""Read a YAML config file without the traps plain ``yaml.safe_load`` leaves open.

``safe_load`` constructs no objects, but it still accepts what a careless or hostile file can
do with plain YAML: aliases that expand a 660-byte file to a billion values (every later walk
of the tree hangs), an alias that contains itself, nesting deep enough to overflow the stack,
and duplicate keys, where the last one silently wins (``allow_private_networks: []`` followed
by ``["0.0.0.0/0"]`` in the same block). This module composes the node graph first, checks it
with one pass over its distinct nodes (aliases counted as often as they are used), and only
then constructs Python values. Every refusal carries the path of the offending key so the
caller can name the site and key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: Most values a file may hold once every alias is expanded (scalars, lists and mappings
#: each count one); a thousand sites of a hundred values each is a tenth of it.
MAX_VALUES = 1_000_000
#: Deepest nesting of lists and mappings (a sites file needs six levels).
MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"

Loc = tuple[str | int, ...]


class YamlShapeError(ValueError):
    """The file is valid YAML but refused; ``loc`` is the key path where the problem is."""

    def __init__(self, message: str, loc: Loc, root: Node) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self._root = root

    def scalar_at(self, loc: Loc) -> str | None:
        """The scalar value at ``loc`` in the refused file (e.g. a site's ``name``), if any."""
        node: Node | None = self._root
        for part in loc:
            node = _child(node, part)
            if node is None:
                return None
        return node.value if isinstance(node, ScalarNode) else None


def _child(node: Node | None, part: str | int) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                return value
    return None


def _children(node: Node) -> Iterator[tuple[str | int, Node]]:
    """Each child with its path step; merge keys (``<<: *base``) step as ``<<``."""
    if isinstance(node, SequenceNode):
        yield from enumerate(node.value)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            label = key.value if isinstance(key, ScalarNode) else "?"
            yield label, key
            yield label, value


@dataclass
class _Size:
    values: int
    depth: int


class _Checker:
    """One depth-first pass over the distinct nodes; sizes are memoised, so shared (aliased)
    subtrees cost one visit however often they are used."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.sizes: dict[int, _Size] = {}
        self.on_path: set[int] = set()
        self.uses: dict[int, int] = {}

    def fail(self, message: str, loc: Loc) -> YamlShapeError:
        return YamlShapeError(message, loc, self.root)

    def size(self, node: Node, loc: Loc) -> _Size:
        key = id(node)
        self.uses[key] = self.uses.get(key, 0) + 1
        if key in self.on_path:
            raise self.fail(
                f"alias refers to a value that contains it (line {node.start_mark.line + 1})", loc
            )
        known = self.sizes.get(key)
        if known is not None:
            if len(loc) + known.depth > MAX_DEPTH:
                raise self.fail(f"nested more than {MAX_DEPTH} levels deep once aliases are expanded", loc)
            return known
        if len(loc) > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep", loc)
        if node.tag not in yaml.SafeLoader.yaml_constructors and node.tag != _MERGE_TAG:
            raise self.fail(f"unsupported YAML tag {node.tag!r} (line {node.start_mark.line + 1})", loc)
        if isinstance(node, MappingNode):
            self.check_duplicates(node, loc)
        self.on_path.add(key)
        values, depth = 1, 0
        for step, child in _children(node):
            size = self.size(child, (*loc, step))
            values += size.values
            depth = max(depth, size.depth + 1)
        self.on_path.discard(key)
        self.sizes[key] = result = _Size(values, depth)
        return result

    def check_duplicates(self, node: MappingNode, loc: Loc) -> None:
        first_line: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            line = key.start_mark.line + 1
            if (key.tag, key.value) in first_line:
                first = first_line[(key.tag, key.value)]
                raise self.fail(
                    f"duplicate key (lines {first} and {line}; YAML keeps only one)", (*loc, key.value)
                )
            first_line[(key.tag, key.value)] = line

    def heaviest_shared(self) -> Loc:
        """Path from the root along the largest child to the first value used more than once
        (where an alias multiplies it), or to the largest plain container."""
        node, loc = self.root, ()
        while True:
            best = max(_children(node), key=lambda item: self.sizes[id(item[1])].values, default=None)
            if best is None:
                return loc
            step, child = best
            loc = (*loc, step)
            if self.uses[id(child)] > 1 or not isinstance(child, SequenceNode | MappingNode):
                return loc
            node = child


def check_node(root: Node) -> None:
    """Raise :class:`YamlShapeError` for duplicate keys, recursive aliases, too deep nesting
    or more than :data:`MAX_VALUES` values after alias expansion."""
    checker = _Checker(root)
    total = checker.size(root, ())
    if total.values > MAX_VALUES:
        loc = checker.heaviest_shared()
        expanded = checker.sizes[id(_node_at(root, loc))].values
        raise checker.fail(
            f"YAML aliases expand this value to {expanded:,} values; a file may hold at most {MAX_VALUES:,}",
            loc,
        )


def _node_at(root: Node, loc: Loc) -> Node:
    node = root
    for step in loc:
        found = None
        for label, child in _children(node):
            if label == step:
                found = child  # the value follows its key, so the last match is the value
        assert found is not None
        node = found
    return node


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """``line 4, column 12: <problem>`` without PyYAML's ``in "<unicode string>"`` echo."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return str(error)
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context = f" ({error.context})" if error.context else ""
    return f"{where}{error.problem}{context}"


def load_yaml(text: str) -> Any:
    """Parse one YAML document with :func:`check_node` applied before any value is built.

    Raises ``yaml.YAMLError`` for syntax errors, :class:`YamlShapeError` for refused shapes.
    """
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlShapeError(
                f"nested more than {MAX_DEPTH} levels deep", (), ScalarNode("", "")
            ) from None
        if node is None:
            return None
        check_node(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
