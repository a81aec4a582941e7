"""A safe data format for what crosses the grading boundary: JSON, never pickle.

Answers handed in by a hidden test (``course.checks.handin``) and the
outputs of a student's function re-run by the grader
(``course.grading.runner``) travel as JSON text written by ``dumps`` and read
by ``loads``. Decoding builds plain Python and NumPy values only: no class
of the student's can come back, so an answer whose ``__eq__`` always says
``True`` arrives as an ``Unsupported`` placeholder and compares equal to
nothing.

Supported: ``None``, ``bool``, ``int``, ``float`` (``inf`` and ``nan``
included), ``str``, ``list``, ``tuple``, ``set``/``frozenset``, ``dict``,
NumPy scalars and NumPy arrays of bool, integer or float dtype. A NumPy
string scalar (``np.str_``) arrives as a plain ``str``.
"""

import base64
import json
import math
from typing import Any

import numpy as np

__all__ = ["Unsupported", "encode", "decode", "dumps", "loads", "MAX_BYTES"]

#: Largest encoded document accepted (a hand-in or a runner's answer).
MAX_BYTES = 64 * 2**20
#: Deepest nesting accepted.
MAX_DEPTH = 32
_ARRAY_KINDS = "biuf"


class Unsupported:
    """Stands for a value of a type the format does not carry (a class of the student's, a function).

    Args:
        type_name: The name of the value's type, for messages.
    """

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:100]

    def __eq__(self, other) -> bool:
        return False

    def __hash__(self) -> int:
        return hash(("Unsupported", self.type_name))

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def _float(value: float):
    if math.isnan(value):
        return {"__float__": "nan"}
    if math.isinf(value):
        return {"__float__": "inf" if value > 0 else "-inf"}
    return value


def encode(value: Any, _depth: int = 0) -> Any:
    """Turns a value into JSON-able data (types the format does not carry become ``Unsupported`` markers).

    Args:
        value: The value to encode.

    Returns:
        Nested lists, dicts, strings and numbers.
    """
    if _depth > MAX_DEPTH:
        return {"__unsupported__": "nesting too deep"}
    # Exact types only: a subclass of int or str may redefine == and is not carried.
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is np.str_:  # a NumPy string (an item of a string array) travels as the plain string it holds
        return str(value)
    if type(value) is int:
        return value
    if type(value) is float:
        return _float(value)
    if (
        isinstance(value, np.generic)
        and value.dtype.kind in _ARRAY_KINDS
        and type(value) is value.dtype.type
        and value.dtype.itemsize <= 8  # not longdouble: .item() would not be a Python number
    ):
        item = value.item()
        return {"__npscalar__": value.dtype.str, "value": _float(item) if isinstance(item, float) else item}
    if type(value) is np.ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            return {"__unsupported__": f"NumPy array of dtype {value.dtype}"}
        data = value.copy(order="C")  # keeps a 0-d array 0-d
        return {
            "__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"),
            "dtype": data.dtype.str,
            "shape": list(data.shape),
        }
    if type(value) is list:
        return [encode(item, _depth + 1) for item in value]
    if type(value) is tuple:
        return {"__tuple__": [encode(item, _depth + 1) for item in value]}
    if type(value) in (set, frozenset):
        items = [encode(item, _depth + 1) for item in value]
        tag = "__set__" if type(value) is set else "__frozenset__"
        return {tag: sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
    if type(value) is dict:
        return {"__dict__": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]}
    if isinstance(value, Unsupported):
        return {"__unsupported__": value.type_name}
    return {"__unsupported__": type(value).__name__}


def _check_dtype(text: Any) -> np.dtype:
    if not isinstance(text, str):
        raise ValueError("dtype must be a string")
    dtype = np.dtype(text)
    if dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"dtype {dtype} is not allowed")
    return dtype


def _number(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__float__"}:
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[value["__float__"]]
    if type(value) in (int, float, bool):
        return value
    raise ValueError("a scalar must be a number")


def decode(data: Any, _depth: int = 0) -> Any:
    """Builds plain values back from ``encode``'s data, refusing anything else.

    Args:
        data: Parsed JSON.

    Returns:
        The value.

    Raises:
        ValueError: The data is not in the format.
    """
    if _depth == 0:
        try:
            return decode(data, 1)
        except ValueError:
            raise
        except (KeyError, TypeError, OverflowError, RecursionError, IndexError, AttributeError) as err:
            raise ValueError(f"not in the format ({type(err).__name__})") from None
    if _depth > MAX_DEPTH + 2:
        raise ValueError("nesting too deep")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item, _depth + 1) for item in data]
    if type(data) is not dict or len(data) == 0:
        raise ValueError("unexpected value")
    tag = next(iter(data))
    if tag == "__float__" and len(data) == 1:
        return _number(data)
    if tag == "__npscalar__" and set(data) == {"__npscalar__", "value"}:
        return _check_dtype(data["__npscalar__"]).type(_number(data["value"]))
    if tag == "__ndarray__" and set(data) == {"__ndarray__", "dtype", "shape"}:
        dtype = _check_dtype(data["dtype"])
        shape = data["shape"]
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("bad array shape")
        raw = base64.b64decode(data["__ndarray__"], validate=True)
        if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError("array data does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if tag == "__tuple__" and len(data) == 1 and type(data[tag]) is list:
        return tuple(decode(item, _depth + 1) for item in data[tag])
    if tag in ("__set__", "__frozenset__") and len(data) == 1 and type(data[tag]) is list:
        kind = set if tag == "__set__" else frozenset
        try:
            return kind(decode(item, _depth + 1) for item in data[tag])
        except TypeError:
            raise ValueError("unhashable set item") from None
    if tag == "__dict__" and len(data) == 1 and type(data[tag]) is list:
        result = {}
        for pair in data[tag]:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError("bad dict item")
            key = decode(pair[0], _depth + 1)
            try:
                hash(key)
            except TypeError:
                raise ValueError("unhashable dict key") from None
            result[key] = decode(pair[1], _depth + 1)
        return result
    if tag == "__unsupported__" and len(data) == 1:
        return Unsupported(str(data[tag]))
    raise ValueError("unexpected value")


def dumps(value: Any) -> str:
    """``encode`` then JSON text."""
    return json.dumps(encode(value), allow_nan=False)


def loads(text: str) -> Any:
    """JSON text (at most ``MAX_BYTES``) then ``decode``.

    Raises:
        ValueError: Too large, not JSON, or not in the format.
    """
    if len(text) > MAX_BYTES:
        raise ValueError("document too large")
    try:
        data = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except RecursionError:
        raise ValueError("nesting too deep") from None
    return decode(data)
