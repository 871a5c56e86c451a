"""Parses Prometheus text exposition format with the Prometheus project's own Python client
(Debian's python3-prometheus-client): one JSON string (the scraped text) per input line,
one JSON line per answer: [{name, type, help, samples: [{name, labels, value}]}] or
{"error": "..."} when the text does not parse."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def number(v):
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if math.isnan(v):
        return "NaN"
    return v


for line in sys.stdin:
    try:
        families = [
            {
                "name": f.name,
                "type": f.type,
                "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": number(s.value)} for s in f.samples],
            }
            for f in text_string_to_metric_families(json.loads(line))
        ]
        print(json.dumps(families), flush=True)
    except Exception as e:  # the answer says what did not parse
        print(json.dumps({"error": repr(e)}), flush=True)
