"""
Differential check of hearth_json.py against the json package (run by hearth_json.test.ts):
generated values and texts, their mutations, and the odd inputs json.loads accepts or
refuses; prints a JSON report of the cases that differ (none expected).
"""

import decimal
import json
import random
import sys

import hearth_json

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
STRINGS = ["", "a", "é", "\u2028", "\ud800", "😀", '"\\/\b\f\n\r\t', "\x00\x1f", "ü" * 3, "long " * 20]


def value(depth=0):
    k = rng.randrange(10 if depth < 4 else 6)
    if k == 0:
        return None
    if k == 1:
        return rng.random() < 0.5
    if k == 2:
        return rng.choice([0, -1, 7, 2**63, -(2**70), 10**30])
    if k == 3:
        return rng.choice([0.0, -0.0, 1.5, 1e300, -2.5e-300, float("nan"), float("inf"), float("-inf"), 0.1])
    if k in (4, 5):
        return rng.choice(STRINGS) + str(rng.randrange(100))
    if k in (6, 7):
        return [value(depth + 1) for _ in range(rng.randrange(4))]
    d = {}
    for _ in range(rng.randrange(4)):
        d[rng.choice([rng.choice(STRINGS), rng.randrange(5), 1.5, True, None])] = value(depth + 1)
    return d


def outcome(f, *args):
    try:
        return ("ok", repr(f(*args)))
    except Exception as e:  # the exception's type and message must be json's
        return ("error", type(e).__name__, str(e))


def check_encode(diffs, v, ascii_only, fast=False):
    want = outcome(json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=True).encode, v)
    before = FALLBACKS[0]
    got = outcome(hearth_json.Encoder(ensure_ascii=ascii_only).encode, v)
    if want != got:
        diffs.append({"encode": repr(v), "ascii": ascii_only, "json": want, "hearth": got})
    elif fast and FALLBACKS[0] != before:
        diffs.append({"encode": repr(v)[:200], "slow": "encoded again by json"})


FALLBACKS = [0]
_json_module = hearth_json._json_module


def counted():
    FALLBACKS[0] += 1
    return _json_module()


hearth_json._json_module = counted


def check_loads(diffs, text, fast=False):
    """`fast`: a text json.loads accepts in UTF-8, which must not need the json package."""
    want = outcome(json.loads, text)
    before = FALLBACKS[0]
    got = outcome(hearth_json.loads, text)
    if want != got:
        diffs.append({"loads": repr(text)[:200], "json": want, "hearth": got})
    elif fast and FALLBACKS[0] != before:
        diffs.append({"loads": repr(text)[:200], "slow": "parsed again by json"})


def mutate(text):
    chars = list(text)
    for _ in range(rng.randrange(1, 3)):
        op = rng.randrange(3)
        i = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op == 1:
            chars.insert(i, rng.choice('{}[]",:0123456789.eE+-tfnul \t\n\\/x'))
        elif chars:
            chars[min(i, len(chars) - 1)] = rng.choice('{}[]",: \x00')
    return "".join(chars)


def main():
    diffs = []
    cases = 0
    for _ in range(3000):
        v = value()
        for ascii_only in (True, False):
            check_encode(diffs, v, ascii_only, fast=True)
            cases += 1
        for kwargs in ({}, {"separators": (",", ":")}, {"indent": 2}, {"ensure_ascii": False}):
            text = json.dumps(v, **kwargs)
            for t, fast in ((text, True), (" \n\t" + text + "\r\n ", True), (mutate(text), False)):
                check_loads(diffs, t, fast)
                check_loads(diffs, t.encode("utf-8", "surrogatepass"), fast)
                cases += 2
    odd = [
        b"\xef\xbb\xbf{}",
        "\ufeff{}",
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-16-le"),
        '{"a": 1}'.encode("utf-32"),
        b"\xff\xff",
        b"",
        "",
        " ",
        "1 2",
        "NaN",
        "-Infinity",
        "[1,]",
        '{"a":1,"a":2}',
        '"\\ud800"',
        bytearray(b"[1]"),
        12,
        None,
    ]
    for t in odd:
        check_loads(diffs, t)
        cases += 1
    circular = []
    circular.append(circular)
    for v in (circular, {"x": object()}, {(1, 2): 3}, decimal.Decimal("1.5"), b"bytes", {1, 2}):
        for ascii_only in (True, False):
            check_encode(diffs, v, ascii_only)
            cases += 1
    print(json.dumps({"cases": cases, "diffs": diffs[:20], "fast": hearth_json._encoders_ok and hearth_json._scan is not None}))


main()
