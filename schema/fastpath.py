"""A faster way through long lists of plain objects, inside graphql-core's executor.

graphql-core completes every field of every list item through its general machinery
(resolve info, awaitable checks, error paths): about 5 µs a field, so a 10,000-hop
``ancestors`` answer spent most of its time there. Most of those fields are plain
attribute reads of scalars. For a list whose items select only such fields (nested
objects and interfaces included), this executor completes the items with a plan
compiled once per selection: read the attribute, serialize the leaf. Anything the plan
does not cover — a field with its own resolver or arguments, a directive, an awaitable,
a null in a non-null position, an error — makes the whole list go through the general
path instead, which then reports it exactly as graphql-core always does.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, Iterable

from graphql import (
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLEnumType,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

Info = GraphQLResolveInfo[Any]
Complete = Callable[[Any], Any]
_TEXT_SCALARS = frozenset({"ID", "String"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
Plan = list[tuple[str, Callable[[Any], Any] | None, Complete | None]]


class _Bail(Exception):
    """The fast path does not cover this value; use the general path."""


class FastListExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Complete | None]] = {}

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Info,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, (list, tuple)) and len(result) > 1 and not _has_directives(field_details_list):
            try:
                complete = self._completer(return_type.of_type, field_details_list, info)
                return [complete(item) for item in result]
            except _Bail:
                pass
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def _completer(self, type_: GraphQLOutputType, group: Any, info: Info) -> Complete:
        """A function completing values of ``type_`` selected by ``group``, or raising _Bail."""
        if isinstance(type_, GraphQLNonNull):
            inner = type_.of_type
            if is_abstract_type(inner):
                return self._abstract(inner, group, info, strict=True)
            strict = _non_null(self._completer(inner, group, info))
            if isinstance(inner, GraphQLScalarType) and inner.name in _TEXT_SCALARS:
                return _text(strict)
            if isinstance(inner, GraphQLScalarType) and inner.name == "Int":
                return _int(strict)
            return strict
        if isinstance(type_, GraphQLList):
            return _list(self._completer(type_.of_type, group, info))
        if isinstance(type_, GraphQLEnumType):
            # Enum values are Python enum members (or their values): name lookup by value.
            return _leaf({value.value: name for name, value in type_.values.items()}.__getitem__)
        if is_leaf_type(type_):
            return _leaf(type_.serialize)
        if is_abstract_type(type_):
            return self._abstract(type_, group, info)
        if is_object_type(type_):
            return self._concrete(type_, group, info)
        raise _Bail

    def _concrete(self, type_: GraphQLObjectType, group: Any, info: Info) -> Complete:
        """``_object`` for one known type, its plan looked up once rather than per value."""
        record = self._plan(type_, group, info)
        if record is None:
            raise _Bail
        is_type_of = type_.is_type_of
        if is_type_of is None:
            return lambda value: None if value is None else record(value)

        def complete(value: Any) -> Any:
            if value is None:
                return None
            if is_type_of(value, info) is not True:
                raise _Bail
            return record(value)

        return complete

    def _abstract(self, type_: GraphQLAbstractType, group: Any, info: Info, strict: bool = False) -> Complete:
        """Values of an interface or union (``strict``: non-null): the runtime type is
        resolved once per Python class (resolving and checking it per value cost more than
        the fields), for classes that are Strawberry types of that name; others, and
        values cast with ``strawberry.cast``, are resolved one by one."""
        by_class: dict[type, Complete] = {}

        def complete(value: Any) -> Any:
            if value is None:
                if strict:
                    raise _Bail
                return None
            known = by_class.get(value.__class__)
            if known is not None and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                return known(value)
            runtime = self._runtime_type(type_, info, value)
            definition = getattr(value.__class__, "__strawberry_definition__", None)
            if getattr(definition, "name", None) == runtime.name and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                record = self._plan(runtime, group, info)
                if record is not None:
                    known = by_class[value.__class__] = record
                    return known(value)
            return self._object(runtime, group, info, value)

        return complete

    def _runtime_type(self, type_: GraphQLAbstractType, info: Info, value: Any) -> GraphQLObjectType:
        name = (type_.resolve_type or self.type_resolver)(value, info, type_)
        runtime = self.schema.get_type(name) if isinstance(name, str) else None
        if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(type_, runtime):
            raise _Bail
        return runtime

    def _object(self, type_: GraphQLObjectType, group: Any, info: Info, value: Any) -> dict[str, Any]:
        record = self._plan(type_, group, info)
        if record is None or (type_.is_type_of is not None and type_.is_type_of(value, info) is not True):
            raise _Bail
        result: dict[str, Any] = record(value)
        return result

    def _plan(self, type_: GraphQLObjectType, group: Any, info: Info) -> Complete | None:
        """The completion of a value of ``type_`` selected by ``group`` (``_record`` of its
        plan), compiled once per selection; None when the fast path does not cover it."""
        key = (type_, id(group))
        cached = self._plans.get(key)
        if cached is None:
            plan = self._compile(type_, group, info)
            cached = self._plans[key] = (group, None if plan is None else _record(plan, type_.name))  # keeps ``group`` alive
        return cached[1]

    def _compile(self, type_: GraphQLObjectType, group: Any, info: Info) -> Plan | None:
        grouped, defer_usages, _ = self.collect_subfields(type_, group)
        if defer_usages:
            return None
        plan: Plan = []
        for response_key, sub_group in grouped.items():
            node = sub_group[0].node
            if node.name.value == "__typename":
                plan.append((response_key, None, None))
                continue
            field = type_.fields.get(node.name.value)
            if field is None or node.arguments or node.directives or not getattr(field.resolve, "_is_default", False):
                return None
            try:
                plan.append((response_key, _reader(field), self._completer(field.type, sub_group, info)))
            except _Bail:
                return None
        return plan


def _record(plan: Plan, type_name: str) -> Complete:
    """The function completing one object by ``plan``: ``{key: complete(read(value)), …}``
    written out as source and compiled (as ``dataclasses`` writes ``__init__``), a third
    faster than a loop over the plan. The source names only its own variables: keys,
    readers and completers are passed in the namespace, never pasted into it."""
    namespace: dict[str, Any] = {"type_name": type_name}
    items = []
    for i, (key, read, complete) in enumerate(plan):
        namespace[f"k{i}"] = key
        if read is None:
            items.append(f"k{i}: type_name")
        else:
            namespace[f"r{i}"], namespace[f"c{i}"] = read, complete
            items.append(f"k{i}: c{i}(r{i}(value))")
    exec(f"def record(value):\n    return {{{', '.join(items)}}}\n", namespace)  # noqa: S102
    record: Complete = namespace["record"]
    return record


def _reader(field: GraphQLField) -> Callable[[Any], Any]:
    """How a basic Strawberry field reads its value: the attribute, or its own resolver."""
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is not None and definition.default_resolver is getattr and definition.python_name:
        return attrgetter(definition.python_name)
    resolve = field.resolve
    assert resolve is not None
    return lambda v: resolve(v, None)


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        result = inner(value)
        if result is None:
            raise _Bail
        return result

    return complete


def _list(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise _Bail
        return [inner(v) for v in value]

    return complete


def _leaf(serialize: Callable[[Any], Any]) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        try:
            result = serialize(value)
        except Exception:
            raise _Bail from None
        if result is None or result is Undefined:
            raise _Bail
        return result

    return complete


def _text(strict: Complete) -> Complete:
    """A non-null ID or String: a ``str`` is its own serialization."""
    def complete(value: Any) -> Any:
        return value if value.__class__ is str else strict(value)

    return complete


def _int(strict: Complete) -> Complete:
    """A non-null Int: a plain ``int`` within 32 bits is its own serialization."""
    def complete(value: Any) -> Any:
        return value if value.__class__ is int and _INT_MIN <= value <= _INT_MAX else strict(value)

    return complete


def _has_directives(group: Iterable[Any]) -> bool:
    return any(details.node.directives for details in group)
