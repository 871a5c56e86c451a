"""
JSON for the runtime client without importing the `json` package at start.

`import json` imports `re` (json's decoder, scanner and encoder compile patterns when they
load), and with it `enum`, `functools` and `collections`: ~8 ms of CPU in a start that is
~11 ms without them (_one-off_, `python3 -S -X importtime`; src/pool/README.md). What
parses and writes JSON in CPython is its `_json` accelerator, which `json` itself calls:
this module calls it directly, the same way, so the values are json.loads's and the text
is json.dumps's, and it leaves anything else to `json` itself, imported then:

  - loads: the scanner `json.decoder.JSONDecoder` makes, between the whitespace it skips;
    any failure (or bytes in another encoding than UTF-8) is parsed again by json.loads,
    which raises its own exception with its own message;
  - the encoder: the one `json.encoder.JSONEncoder.iterencode` makes for a one-shot encode
    without indent, a new one per call as there; any failure is encoded again by a
    json.JSONEncoder with the same options, for its own exception.

Where `_json` or its encoder's arguments differ from what this expects (checked on a
sample when this module loads), everything goes to `json`. A function that imports json
itself pays for it in its own init, as it would in a process that had not loaded it yet.
"""

try:
    import _json
except ImportError:  # an interpreter without the accelerator
    _json = None

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


def _json_module():
    import json

    return json


class _DecoderContext(object):
    """The attributes of json.JSONDecoder() that _json's scanner reads."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo = {}


_scan = None
if _json is not None:
    try:
        _scan = _json.make_scanner(_DecoderContext())
    except Exception:
        _scan = None


def _decode_text(data):
    """The text json.loads parses, or None where it would do more (BOMs, UTF-16/32)."""
    if isinstance(data, str):
        return None if data.startswith("\ufeff") else data
    if isinstance(data, (bytes, bytearray)):
        head = bytes(data[:4])
        if b"\x00" in head or head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            return None
        try:
            return bytes(data).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
    return None


def loads(data):
    """json.loads(data): the same value, or json.loads's own exception."""
    s = _decode_text(data) if _scan is not None else None
    if s is None:
        return _json_module().loads(data)
    n = len(s)
    i = 0
    while i < n and s[i] in _WHITESPACE:
        i += 1
    try:
        value, end = _scan(s, i)
    except Exception:
        return _json_module().loads(data)
    while end < n and s[end] in _WHITESPACE:
        end += 1
    if end != n:
        return _json_module().loads(data)
    return value


def _type_error(o):
    raise TypeError("Object of type {} is not JSON serializable".format(o.__class__.__name__))


class Encoder(object):
    """
    json.JSONEncoder(ensure_ascii=..., allow_nan=True, default=...).encode, for the options
    the client uses: separators (", ", ": "), no indent, keys not sorted or skipped.
    `default` returns a serialisable value for what JSON cannot hold, or raises TypeError
    (json's own message when it is `None`).
    """

    def __init__(self, ensure_ascii=True, default=None):
        self.ensure_ascii = ensure_ascii
        self.default = default if default is not None else _type_error
        self._fast = _encoders_ok
        if self._fast:
            self._string = _json.encode_basestring_ascii if ensure_ascii else _json.encode_basestring

    def _slow(self, o):
        json = _json_module()
        default = self.default

        class _Fallback(json.JSONEncoder):
            def default(self, value):
                return default(value)

        return _Fallback(ensure_ascii=self.ensure_ascii, allow_nan=True).encode(o)

    def encode(self, o):
        if not self._fast:
            return self._slow(o)
        if isinstance(o, str):
            return self._string(o)
        try:
            chunks = _json.make_encoder({}, self.default, self._string, None, ": ", ", ", False, False, True)(o, 0)
            return "".join(chunks)
        except Exception:
            return self._slow(o)


def _self_check():
    """Whether _json's encoder takes the arguments this module gives it, as json does."""
    if _json is None or not hasattr(_json, "make_encoder") or not hasattr(_json, "encode_basestring"):
        return False
    sample = {"a": [1, 2.5, "\u00e9\n", None, True, False, float("nan")], "b": {"c": -0.0}}
    want = {
        True: '{"a": [1, 2.5, "\\u00e9\\n", null, true, false, NaN], "b": {"c": -0.0}}',
        False: '{"a": [1, 2.5, "\u00e9\\n", null, true, false, NaN], "b": {"c": -0.0}}',
    }
    try:
        for ascii_only, text in want.items():
            string = _json.encode_basestring_ascii if ascii_only else _json.encode_basestring
            enc = _json.make_encoder({}, _type_error, string, None, ": ", ", ", False, False, True)
            if "".join(enc(sample, 0)) != text:
                return False
    except Exception:
        return False
    return True


_encoders_ok = _self_check()


def dumps(o):
    """json.dumps(o) with its defaults."""
    return _DEFAULT.encode(o)


_DEFAULT = Encoder()
