"""Tests of course/codec.py: the JSON format of hand-ins and of the runner's answers."""

import json
import math

import numpy as np
import pytest

from course import codec
from course.codec import Unsupported


def _round_trip(value):
    return codec.loads(codec.dumps(value))


def _same(a, b) -> bool:
    """Equal values of exactly the same types, all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (float, np.floating)) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 2**100, 1.5, -0.0, 1e-300, "text", "", "ünïcode ✓", [], [1, "a", None]],
)
def test_plain_values_round_trip(value):
    """Do None, bools, ints (big ones too), floats, strings and lists come back equal and of the same type?"""
    back = _round_trip(value)
    assert _same(back, value)


def test_numpy_strings_arrive_as_plain_strings():
    """Does a NumPy string (an option taken from a string array) arrive as the plain str it holds, in sets and dicts too?"""
    options = np.array(["A", "C"])
    back = _round_trip({"one": options[0], "set": set(options), "map": dict(zip(["BERT", "GPT"], options))})
    assert type(back["one"]) is str and back["one"] == "A"
    assert back["set"] == {"A", "C"} and all(type(item) is str for item in back["set"])
    assert back["map"] == {"BERT": "A", "GPT": "C"} and all(type(v) is str for v in back["map"].values())


def test_infinities_and_nan_round_trip_through_strict_json():
    """Do inf, -inf and nan come back as floats although the JSON text allows no NaN or Infinity?"""
    text = codec.dumps([math.inf, -math.inf, math.nan])
    json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard JSON constant {name}"))
    back = codec.loads(text)
    assert back[0] == math.inf and back[1] == -math.inf and math.isnan(back[2])
    assert all(type(x) is float for x in back)


@pytest.mark.parametrize(
    "value",
    [np.float32(1.25), np.float16(-2.5), np.float64(0.1), np.int8(-5), np.uint8(255), np.int64(-(2**63)),
     np.uint64(2**64 - 1), np.bool_(True), np.float32("nan"), np.float64("-inf")],
)
def test_numpy_scalars_keep_their_dtype(value):
    """Does a NumPy scalar come back as the same NumPy type with the same value (a float32 stays a float32)?"""
    back = _round_trip(value)
    assert type(back) is type(value)
    assert _same(back, value)


@pytest.mark.parametrize(
    "array",
    [
        np.array([True, False, True]),
        np.arange(12, dtype=np.int16).reshape(3, 4),
        np.array([[1.5, -np.inf], [np.nan, 0.0]], dtype=np.float32),
        np.arange(6, dtype=">i4").reshape(2, 3),  # big-endian
        np.arange(24, dtype=np.float64).reshape(2, 3, 4).transpose(2, 0, 1),  # not C-contiguous
        np.zeros((0, 3), dtype=np.uint32),
        np.array([[7]], dtype=np.uint64),
    ],
)
def test_arrays_keep_dtype_shape_and_values(array):
    """Do bool, integer and float arrays (empty, transposed, big-endian) come back with the same dtype, shape and values?"""
    back = _round_trip(array)
    assert type(back) is np.ndarray and back.flags.writeable
    assert _same(back, array)


def test_containers_round_trip_with_their_types():
    """Do tuples stay tuples, sets stay sets, and dicts keep non-string keys (ints, tuples, floats, None)?"""
    value = {
        1: (1, 2.5, "x"),
        (0, "a"): {3, 4},
        2.5: [np.int32(3), {"nested": (np.array([1, 2], dtype=np.int8),)}],
        None: frozenset({"p", "q"}),
        "s": set(),
        "t": (),
    }
    back = _round_trip(value)
    assert list(back) == list(value)
    assert type(back[1]) is tuple and back[1] == (1, 2.5, "x")
    assert type(back[(0, "a")]) is set and back[(0, "a")] == {3, 4}
    assert type(back[2.5][0]) is np.int32
    inner = back[2.5][1]["nested"]
    assert type(inner) is tuple and inner[0].dtype == np.int8 and inner[0].tolist() == [1, 2]
    assert back[None] == {"p", "q"} and back["s"] == set() and back["t"] == ()


def test_sets_encode_the_same_whatever_their_order():
    """Is a set written in a canonical order, so the same set always gives the same text?"""
    assert codec.dumps({3, 1, 2, "a", (1, 2)}) == codec.dumps({(1, 2), "a", 2, 1, 3})


def test_deep_nesting_becomes_a_placeholder_not_an_error():
    """Does a value nested deeper than MAX_DEPTH come back with an Unsupported placeholder at the cut-off?"""
    value = []
    for _ in range(codec.MAX_DEPTH + 8):
        value = [value]
    back = _round_trip(value)
    depth = 0
    while isinstance(back, list):
        back, depth = back[0], depth + 1
    assert isinstance(back, Unsupported) and depth == codec.MAX_DEPTH + 1


def test_a_list_that_contains_itself_is_cut_off():
    """Does a self-referencing list encode (as a placeholder deep inside) instead of recursing forever?"""
    loop = [1]
    loop.append(loop)
    back = _round_trip(loop)
    assert back[0] == 1 and isinstance(back[1], list)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


def test_an_object_that_equals_everything_becomes_unsupported():
    """Does an object whose == always says True arrive as an Unsupported placeholder that equals nothing, itself included?"""
    back = _round_trip({"answer": AlwaysEqual(), "list": [AlwaysEqual()]})
    placeholder = back["answer"]
    assert isinstance(placeholder, Unsupported) and placeholder.type_name == "AlwaysEqual"
    assert placeholder != 42 and placeholder != "B" and placeholder != placeholder
    assert not (placeholder == AlwaysEqual())
    assert back["list"][0] != back["list"][0]
    assert repr(placeholder) == "<AlwaysEqual object>"


class MyInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class MyStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class MyDict(dict):
    pass


class MyFloat(np.float64):
    pass


class MyArray(np.ndarray):
    pass


@pytest.mark.parametrize(
    "value, name",
    [
        (MyInt(3), "MyInt"),
        (MyStr("B"), "MyStr"),
        (MyDict(a=1), "MyDict"),
        (MyFloat(1.0), "MyFloat"),
        (np.arange(3).view(MyArray), "MyArray"),
        (lambda: 1, "function"),
        (object(), "object"),
        (b"bytes", "bytes"),
        (1 + 2j, "complex"),
    ],
)
def test_subclasses_and_other_types_are_not_carried(value, name):
    """Are subclasses of int, str, dict, NumPy floats and arrays (and functions, bytes, complex) replaced by Unsupported?"""
    back = _round_trip(value)
    assert isinstance(back, Unsupported) and back.type_name == name
    assert back != value


@pytest.mark.parametrize(
    "array",
    [np.array([1, "a"], dtype=object), np.array(["a", "b"]), np.array([1 + 1j]), np.array(["2024-01-01"], dtype="M8[D]"),
     np.zeros(2, dtype="i4,i4")],
)
def test_arrays_of_other_dtypes_become_unsupported(array):
    """Is an array of object, string, complex, datetime or structured dtype written as a placeholder, never pickled?"""
    back = _round_trip(array)
    assert isinstance(back, Unsupported) and "NumPy array of dtype" in back.type_name


def _array(dtype="<i4", shape=(2,), data=b"\x00" * 8):
    import base64

    return {"__ndarray__": base64.b64encode(data).decode(), "dtype": dtype, "shape": list(shape)}


@pytest.mark.parametrize(
    "data",
    [
        _array(dtype="|O"),
        _array(dtype="<U1"),
        _array(dtype="<c16", data=b"\x00" * 32),
        _array(dtype="i4,i4", shape=(1,)),
        _array(dtype="(2,)<i4", shape=(1,)),
        _array(dtype=["<i4"]),
        _array(data=b"\x00" * 7),
        _array(data=b"\x00" * 12),
        _array(shape=(-2,)),
        _array(shape=(True, 2)),
        {"__ndarray__": "!!not base64!!", "dtype": "<i4", "shape": [1]},
        {"__ndarray__": "", "dtype": "<i4", "shape": [0], "extra": 1},
        {"__npscalar__": "|O", "value": 1},
        {"__npscalar__": "<i8", "value": "3"},
        {"__npscalar__": "<i8", "value": [3]},
        {"__float__": "nan", "value": 1},
        {"__tuple__": "abc"},
        {"__set__": [[1, 2]]},
        {"__dict__": [[[1], 2]]},
        {"__dict__": [[1, 2, 3]]},
        {"__dict__": {"a": 1}},
        {"__pickle__": "gASVAAAAAAAAAAA="},
        {"a": 1},
        {},
    ],
)
def test_malformed_data_is_refused(data):
    """Is data not in the format (a forbidden dtype, bytes that do not fit the shape, an unknown tag) refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.decode(data)
    with pytest.raises(ValueError):
        codec.loads(json.dumps(data))


def test_too_deep_data_is_refused():
    """Is crafted data nested deeper than an encoder could produce refused with ValueError?"""
    data = 0
    for _ in range(codec.MAX_DEPTH + 3):
        data = [data]
    with pytest.raises(ValueError, match="too deep"):
        codec.decode(data)
    shallow = 0
    for _ in range(codec.MAX_DEPTH):
        shallow = [shallow]
    assert codec.decode(shallow) == shallow


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "-Infinity", "{not json", ""])
def test_non_standard_json_is_refused(text):
    """Are NaN/Infinity literals and broken JSON refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.loads(text)


def test_too_large_documents_are_refused(monkeypatch):
    """Is a document longer than MAX_BYTES refused before it is parsed?"""
    monkeypatch.setattr(codec, "MAX_BYTES", 10)
    assert codec.loads("[1, 2, 3]") == [1, 2, 3]
    with pytest.raises(ValueError, match="too large"):
        codec.loads("[1, 2, 3, 4, 5]")


# ----------------------------------------------------------------- known defects (see the report)


def test_unknown_float_name_is_refused_with_value_error():
    """Is {"__float__": "bogus"} refused with ValueError like every other malformed value?"""
    with pytest.raises(ValueError):
        codec.decode({"__float__": "bogus"})


def test_unknown_dtype_name_is_refused_with_value_error():
    """Is an array whose dtype is not a NumPy dtype name refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.decode(_array(dtype="not-a-dtype"))


def test_out_of_range_numpy_scalar_is_refused_with_value_error():
    """Is an int8 scalar of value 1000 refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.decode({"__npscalar__": "|i1", "value": 1000})


def test_array_shape_beyond_int64_is_refused_with_value_error():
    """Is an array shape whose size does not fit in 64 bits refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.decode(_array(shape=(2**64,), data=b""))


def test_deeply_nested_text_is_refused_with_value_error():
    """Is JSON text nested 100000 levels deep refused with ValueError?"""
    with pytest.raises(ValueError):
        codec.loads("[" * 100_000 + "]" * 100_000)


def test_zero_dimensional_arrays_keep_their_shape():
    """Does np.array(2.5) come back 0-d, so that check_number still accepts it as in the student's kernel?"""
    from course.grading.compare import check_number

    back = _round_trip(np.array(2.5))
    assert back.shape == ()
    check_number(back, 2.5, "q")


def test_a_longdouble_scalar_is_encoded_as_data():
    """Does a np.longdouble scalar (kind 'f', like the arrays that round-trip) encode to JSON, even as a placeholder?"""
    back = _round_trip(np.longdouble(1.5))
    assert back == 1.5 or isinstance(back, Unsupported)


def test_frozensets_inside_sets_and_as_keys_round_trip():
    """Does {frozenset({1}): 2} (and a set of frozensets) come back equal, as the docstring's set/frozenset support says?"""
    assert _round_trip({frozenset({1}): 2}) == {frozenset({1}): 2}
    assert _round_trip({frozenset({1, 2})}) == {frozenset({1, 2})}
