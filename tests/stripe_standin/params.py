"""Check request parameters against stripe-python's own typed definitions in `stripe.params`.

Every endpoint names the `TypedDict` stripe-python ships for it (`SessionCreateParams`,
`RefundCreateParams`, …). `validate` walks that class over the decoded form tree and returns the
params with real Python types (ints, bools, lists), or raises the error Stripe would send:
`Received unknown parameter: payment_intent_data[aplication_fee_amount]`, `Missing required param:
…`, `Invalid mode: must be one of payment, setup, or subscription`, `Invalid integer: abc`, the
empty-string-cannot-unset error, and so on. Nothing here lists Stripe's parameters by hand.

Quirks of stripe-python 16's definitions that the walk has to handle:

* Create/retrieve params inherit `RequestOptions` (`api_key`, `idempotency_key`, `headers`, …),
  which are client options, never wire params, and whose annotations name `StripeContext` and
  `Mapping` that exist only under `TYPE_CHECKING`. `typing.get_type_hints` on the class therefore
  fails; we drop those keys and resolve the rest against the defining module.
* Enums are written `"Literal['payment', 'setup', 'subscription']|str"`: the trailing `str` is a
  forward-compatibility escape hatch for values newer than the SDK, so a plain `str` check would
  accept `mode=paymnt`. When a union holds a Literal with non-empty strings, the `str` is ignored.
* `Literal['']` in a union means "post an empty string to unset"; anywhere else an empty string is
  rejected, as Stripe does.
* Metadata is `"Dict[str, str]|UntypedStripeObject[str]"`; the second member (a `dict` subclass
  that refuses to be constructed) is treated like the first.
"""

from __future__ import annotations

import functools
import re
import sys
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import typing_extensions
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

from tests.stripe_standin.wire import StripeError, field_name

Path = tuple[str | int, ...]

_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_INTEGER = re.compile(r"^-?\d+$")
_WORDS = {str: "string", int: "integer", bool: "boolean", float: "decimal", Decimal: "decimal"}
_WRAPPERS = (typing.NotRequired, typing.Required, typing_extensions.NotRequired)


class ParamError(StripeError):
    """A parameter problem, with what `_union` needs to pick the most useful of several."""

    def __init__(
        self, message: str, path: Path, *, shape: bool = False, code: str = "parameter_invalid"
    ) -> None:
        super().__init__(message, param=field_name(path) or None, code=code)
        self.depth = len(path)
        self.shape = shape
        """True when the value had the wrong shape (a hash for a string, or the reverse)."""


@functools.cache
def typed_fields(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """The wire fields of a params TypedDict, resolved, and which of them are required."""
    annotations = dict(cls.__annotations__)
    if RequestOptions in getattr(cls, "__orig_bases__", ()):
        for key in _REQUEST_OPTION_KEYS:
            annotations.pop(key, None)
    shim = types.SimpleNamespace(__annotations__=annotations)
    hints = typing.get_type_hints(shim, globalns=vars(sys.modules[cls.__module__]))
    required = frozenset(cls.__required_keys__) & hints.keys()
    return hints, required


def validate(cls: type, tree: dict[str, Any]) -> dict[str, Any]:
    """The params of one request, typed, or the `ParamError` Stripe would answer with."""
    result: dict[str, Any] = _typed_dict(tree, cls, ())
    return result


def coerce(value: Any, annotation: Any, path: Path) -> Any:
    """Convert one decoded form value to the Python type `annotation` describes."""
    annotation = _unwrap(annotation)
    origin = typing_extensions.get_origin(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _union(value, typing_extensions.get_args(annotation), path)
    if origin in (typing.Literal, typing_extensions.Literal):
        return _literal(value, typing_extensions.get_args(annotation), path)
    if typing_extensions.is_typeddict(annotation):
        return _typed_dict(value, annotation, path)
    if origin is list:
        return _list(value, typing_extensions.get_args(annotation)[0], path)
    if origin in (dict, Mapping, UntypedStripeObject):
        args = typing_extensions.get_args(annotation)
        return _dict(value, args[-1] if args else Any, path)
    if annotation in (str, int, bool, float, Decimal):
        return _scalar(value, annotation, path)
    if annotation is type(None):
        raise ParamError(f"Invalid value for {field_name(path)}", path, shape=True)
    raise TypeError(f"stand-in cannot check {field_name(path)} of type {annotation!r}")


def _unwrap(annotation: Any) -> Any:
    while typing_extensions.get_origin(annotation) in _WRAPPERS:
        annotation = typing_extensions.get_args(annotation)[0]
    return annotation


def _typed_dict(value: Any, cls: type, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _empty_string(path) if value == "" else ParamError("Invalid object", path, shape=True)
    hints, required = typed_fields(cls)
    for key in value:
        if key not in hints:
            raise ParamError(
                f"Received unknown parameter: {field_name((*path, key))}",
                (*path, key),
                code="parameter_unknown",
            )
    for key in sorted(required - value.keys()):
        raise ParamError(
            f"Missing required param: {field_name((*path, key))}.",
            (*path, key),
            code="parameter_missing",
        )
    return {key: coerce(item, hints[key], (*path, key)) for key, item in value.items()}


def _union(value: Any, options: tuple[Any, ...], path: Path) -> Any:
    options = tuple(_unwrap(option) for option in options if option is not type(None))
    literal_values = [
        item
        for option in options
        if typing_extensions.get_origin(option) in (typing.Literal, typing_extensions.Literal)
        for item in typing_extensions.get_args(option)
    ]
    if str in options and any(isinstance(item, str) and item for item in literal_values):
        # `Literal[...]|str`: the `str` only keeps old SDKs working with new enum values.
        options = tuple(option for option in options if option is not str)
    errors: list[ParamError] = []
    for option in options:
        try:
            return coerce(value, option, path)
        except ParamError as error:
            errors.append(error)
    named = [item for item in literal_values if _wire(item) != ""]
    if named and not isinstance(value, dict) and all(err.depth == len(path) for err in errors):
        raise _not_one_of(value, literal_values, path)
    raise max(errors, key=lambda error: (not error.shape, error.depth))


def _literal(value: Any, allowed: tuple[Any, ...], path: Path) -> Any:
    if isinstance(value, dict):
        raise ParamError(
            f"Invalid value for {field_name(path)}: expected a string", path, shape=True
        )
    for item in allowed:
        if _wire(item) == value:
            return item
    if all(_wire(item) == "" for item in allowed):
        # `Literal['']` only marks "may be unset"; the union's other member explains better.
        raise ParamError(f"Invalid value for {field_name(path)}", path, shape=True)
    raise _not_one_of(value, allowed, path)


def _not_one_of(value: Any, allowed: Any, path: Path) -> ParamError:
    if value == "":
        return _empty_string(path)
    shown = [_wire(item) for item in allowed if _wire(item) != ""]
    choices = ", ".join(shown) if len(shown) < 2 else ", ".join(shown[:-1]) + f", or {shown[-1]}"
    return ParamError(f"Invalid {field_name(path)}: must be one of {choices}", path)


def _wire(item: Any) -> str:
    return str(item).lower() if isinstance(item, bool) else str(item)


def _list(value: Any, item_type: Any, path: Path) -> list[Any]:
    if not isinstance(value, dict) or not all(_INTEGER.match(key) for key in value):
        raise _empty_string(path) if value == "" else ParamError("Invalid array", path, shape=True)
    keys = sorted(value, key=int)
    return [coerce(value[key], item_type, (*path, int(key))) for key in keys]


def _dict(value: Any, item_type: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _empty_string(path) if value == "" else ParamError("Invalid object", path, shape=True)
    return {key: coerce(item, item_type, (*path, key)) for key, item in value.items()}


def _scalar(value: Any, kind: type, path: Path) -> Any:
    if isinstance(value, dict):
        word = _WORDS[kind]
        raise ParamError(
            f"Invalid {word}: {field_name(path)} must be a {word}, not a hash", path, shape=True
        )
    if value == "":
        raise _empty_string(path)
    if kind is str:
        return value
    if kind is int:
        if not _INTEGER.match(value):
            raise ParamError(f"Invalid integer: {value}", path, code="parameter_invalid_integer")
        return int(value)
    if kind is bool:
        if value not in ("true", "false"):
            raise ParamError(f"Invalid boolean: {value}", path)
        return value == "true"
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ParamError(f"Invalid decimal: {value}", path)
    return float(number) if kind is float else number


def _empty_string(path: Path) -> ParamError:
    name = field_name(path)
    return ParamError(
        f"You passed an empty string for '{name}'. We assume empty values are an attempt to unset "
        f"a parameter; however '{name}' cannot be unset. You should remove '{name}' from your "
        "request or supply a non-empty value.",
        path,
        code="parameter_invalid_empty",
    )
