"""The JSON form of a werkzeug session's data, shared by the fixture generator and the peer.

The Rust side (satchel's `werkzeug` file format) implements the same mapping:

    str                      -> JSON string
    bool                     -> JSON true / false
    None                     -> JSON null
    int, -2**63 <= n < 2**64 -> JSON number
    any other int            -> {"__int__": "<decimal digits, optional leading minus>"}
    float                    -> JSON number (NaN and infinities are refused: not JSON)
    list, tuple              -> JSON array, in order
    set, frozenset           -> JSON array, sorted (see `_sort_key`); compare order-insensitively
    dict (str keys only)     -> JSON object, in insertion order
    bytes                    -> {"__bytes__": "<standard base64 with = padding>"}

Anything else (other key types, datetimes, custom classes, ...) raises `UnmappableValue`.
Standard library only: this module must import without werkzeug or secure_cookie.
"""

import base64
import json
import math

I64_MIN = -(2**63)
U64_END = 2**64  # exclusive


class UnmappableValue(ValueError):
    """A value the JSON mapping has no form for."""


def _sort_key(mapped):
    # Sets are sorted on their mapped form: numbers first (numerically), then every
    # other value by its canonical JSON text. Stable for any set a session can hold.
    if isinstance(mapped, (int, float)) and not isinstance(mapped, bool):
        return (0, mapped, "")
    return (1, 0, json.dumps(mapped, sort_keys=True, ensure_ascii=False))


def to_json(value, path="$"):
    """Map one unpickled value to its JSON form (plain Python objects, ready for json.dumps)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if I64_MIN <= value < U64_END:
            return value
        return {"__int__": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnmappableValue(f"{path}: float {value!r} has no JSON form")
        return value
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [to_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json(v, f"{path}{{}}") for v in value), key=_sort_key)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise UnmappableValue(f"{path}: dict key {k!r} is not a str")
            out[k] = to_json(v, f"{path}.{k}")
        return out
    raise UnmappableValue(f"{path}: {type(value).__module__}.{type(value).__qualname__} has no JSON form")


def set_paths(value, path="$"):
    """JSON-path-like names of every set/frozenset inside `value` (for the README)."""
    found = []
    if isinstance(value, (set, frozenset)):
        found.append(path)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += set_paths(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            found += set_paths(v, f"{path}.{k}")
    return found


def dumps(obj, **kwargs):
    """Strict JSON text (no NaN)."""
    return json.dumps(obj, allow_nan=False, **kwargs)
