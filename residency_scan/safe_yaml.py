"""Load untrusted YAML into plain Python values that remember their line numbers.

Inventories, rule packs, waivers and registers all come from users, so every YAML file goes through here:
- safe construction only (no Python objects, ever), via PyYAML's composer and `SafeConstructor` for scalars;
- a size limit before parsing, strict UTF-8;
- a limit on the number of values after alias expansion (billion-laughs bombs) and on nesting depth;
- duplicate mapping keys are an error, not a silent "last one wins";
- every mapping and sequence knows the line of each of its items, so later validation can name the line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from residency_scan.errors import InputError, Problem

try:  # libyaml is much faster; the pure-Python loader behaves the same.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
# Values after alias expansion. Generous for real inventories (100,000 assets ~ 1.5 M values) while a
# "billion laughs" file blows past it after a few thousand expansions.
DEFAULT_MAX_NODES = 5_000_000


class LocatedDict(dict[str, Any]):
    """A mapping from YAML: `line` is where it starts, `key_lines[k]` where key `k` is written."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    """A sequence from YAML: `line` is where it starts, `item_lines[i]` where item `i` starts."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_at(data: Any, loc: Sequence[str | int], default: int | None = None) -> int | None:
    """The line of the deepest located node on `loc` (a pydantic error location, say) that exists: errors can
    point past the data, e.g. at a missing key, and then the enclosing mapping's line is the best answer."""
    line: int | None = getattr(data, "line", default)
    node = data
    for part in loc:
        in_dict = isinstance(node, LocatedDict) and isinstance(part, str) and part in node
        in_list = isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            break
        line = node.line_of(part)
        node = node[part]
    return line


def read_text_and_sha256(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "file",
                         utf8_hint: str = "save the file as UTF-8") -> tuple[str, str]:
    """Read a user file once, within a size limit, as strict UTF-8 (BOM dropped), with the SHA-256 of its bytes as
    they are on disk (BOM included): the hash names exactly what was checked. Raises InputError naming the file."""
    display = str(path)

    def refuse(message: str, line: int | None = None, hint: str | None = None) -> InputError:
        return InputError([Problem(display, message, line=line, hint=hint)])

    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise refuse(f"{what} is {size} bytes, over the limit of {max_bytes} bytes",
                         hint="split it, or raise --max-input-size")
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise refuse(f"{what} not found") from None
    except IsADirectoryError:
        raise refuse(f"{what} is a directory, not a file") from None
    except PermissionError:
        raise refuse(f"{what} is not readable (permission denied)") from None
    except OSError as exc:
        raise refuse(f"{what} cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # the file grew, or it is not a regular file (a pipe)
        raise refuse(f"{what} is over the limit of {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(f"not valid UTF-8 (byte {exc.start})", line, utf8_hint) from None
    return text.removeprefix("\ufeff"), hashlib.sha256(data).hexdigest()


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "file") -> str:
    """`read_text_and_sha256` without the hash."""
    return read_text_and_sha256(path, max_bytes=max_bytes, what=what)[0]


def load_yaml_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "file") -> Any:
    """Read and parse one YAML document from `path` (see `load_yaml_text`)."""
    return load_yaml_text(read_text(path, max_bytes=max_bytes, what=what), str(path))


def load_yaml_text(
    text: str,
    display_path: str,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse one YAML document into LocatedDict / LocatedList / scalars. Raises InputError on any problem.

    NOTE: values are built straight from the parser's event stream instead of PyYAML's node graph. The
    composer recurses once per level (libyaml's overflows the C stack and kills the interpreter beyond
    ~30,000 levels) and keeps a node per value alive until the end (1.6 GB for a 100,000-asset inventory).
    Events are read iteratively, so depth is checked as it grows and memory holds only the result.
    """
    loader = _Loader(text)
    try:
        return _EventBuilder(loader, display_path, max_nodes, max_depth).build()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise InputError([Problem(display_path, f"invalid YAML: {message}", line=line)]) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise InputError([Problem(display_path, f"invalid YAML: {message}",
                                  line=_line_of_reader_error(text, exc))]) from None
    finally:
        loader.dispose()


def _line_of_reader_error(text: str, exc: yaml.YAMLError) -> int | None:
    """ReaderError (a control character, say) has a character position but no line: compute it."""
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


_STR_TAG = "tag:yaml.org,2002:str"
_SAFE_SCALAR_TAGS = frozenset({
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
})


class _Frame:
    """A mapping or sequence being filled, with the bookkeeping its items need."""

    __slots__ = ("anchor", "container", "key", "key_line", "size")

    def __init__(self, container: LocatedDict | LocatedList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.size = 1


_NO_KEY = object()


class _EventBuilder:
    """Turns parser events into located values, under the node budget and the depth limit."""

    def __init__(self, loader: Any, path: str, max_nodes: int, max_depth: int) -> None:
        self._loader = loader
        self._path = path
        self._budget = max_nodes
        self._max_nodes = max_nodes
        self._max_depth = max_depth
        self._anchors: dict[str, tuple[Any, int]] = {}
        self._stack: list[_Frame] = []
        self._document: Any = None

    def _problem(self, event: yaml.Event, message: str, hint: str | None = None) -> InputError:
        line = _line(event)
        return InputError([Problem(self._path, message, line=line, hint=hint)])

    def _spend(self, event: yaml.Event, count: int) -> None:
        self._budget -= count
        if self._budget < 0:
            raise self._problem(event, f"more than {self._max_nodes} values once aliases are expanded",
                                hint="anchors/aliases that multiply (a 'YAML bomb') are refused")

    def build(self) -> Any:
        loader = self._loader
        documents = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.ScalarEvent):
                self._spend(event, 1)
                self._emit(event, self._scalar(event), 1, event.anchor)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in self._anchors:
                    raise self._problem(event, f"alias '*{event.anchor}' has no anchor '&{event.anchor}' before it")
                value, size = self._anchors[event.anchor]
                self._spend(event, size)
                self._emit(event, value, size, None)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                self._open(event)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = self._stack.pop()
                if isinstance(frame.container, LocatedDict) and frame.key is not _NO_KEY:
                    raise self._problem(event, "mapping key without a value")  # pragma: no cover - parser
                self._emit(event, frame.container, frame.size, frame.anchor)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self._problem(event, "more than one YAML document in the file",
                                        hint="remove the extra '---' separators")
        return self._document

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        is_mapping = isinstance(event, yaml.MappingStartEvent)
        default_tag = "tag:yaml.org,2002:map" if is_mapping else "tag:yaml.org,2002:seq"
        if event.tag not in (None, "!", default_tag):
            raise self._problem(event, f"YAML tag '{event.tag}' is not allowed",
                                hint="plain mappings, lists and scalars only")
        if len(self._stack) >= self._max_depth:
            raise self._problem(event, f"nested more than {self._max_depth} levels deep",
                                hint="flatten the structure")
        self._spend(event, 1)
        line = _line(event) or 0
        container: LocatedDict | LocatedList
        if is_mapping:
            container = LocatedDict()
            container.key_lines = {}
        else:
            container = LocatedList()
            container.item_lines = []
        container.line = line
        self._stack.append(_Frame(container, event.anchor))

    def _emit(self, event: yaml.Event, value: Any, size: int, anchor: str | None) -> None:
        if anchor is not None:
            self._anchors[anchor] = (value, size)
        if not self._stack:
            self._document = value
            return
        frame = self._stack[-1]
        frame.size += size
        line = _line(event) or 0
        container = frame.container
        if isinstance(container, LocatedList):
            container.item_lines.append(line if not isinstance(value, LocatedDict | LocatedList) else value.line)
            container.append(value)
            return
        if frame.key is _NO_KEY:
            if isinstance(value, LocatedDict | LocatedList):
                raise self._problem(event, "a mapping key must be a plain value, not a list or mapping")
            key = value if isinstance(value, str) else str(value)
            if key in container:
                raise self._problem(event, f"duplicate key '{key}'",
                                    hint=f"first written on line {container.key_lines[key]}")
            frame.key, frame.key_line = key, line
            return
        container.key_lines[frame.key] = frame.key_line
        container[frame.key] = value
        frame.key = _NO_KEY

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value
        if tag == "tag:yaml.org,2002:merge":
            raise self._problem(event, "merge keys ('<<') are not supported", hint="write the fields out")
        if tag not in _SAFE_SCALAR_TAGS:
            raise self._problem(event, f"value not allowed: YAML tag '{tag}'",
                                hint="plain strings, numbers, booleans, dates and null only")
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            return self._loader.yaml_constructors[tag](self._loader, node)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            raise self._problem(event, f"invalid value: {exc}") from None
