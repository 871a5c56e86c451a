"""Drives boto3 (the official AWS SDK for Python) for hearth's integration tests.

One JSON request per stdin line: {"service", "operation", "params"}; one JSON answer per
stdout line: {"ok": result} or {"error": {"Code", "Message", "Status"}}. Timestamps come
back as epoch seconds. The endpoint is argv[1]; argv[2] and argv[3], when given, are the
access key id and secret (else AKIDTEST / secret).
"""
import datetime
import json
import sys

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = sys.argv[1]
ACCESS_KEY_ID = sys.argv[2] if len(sys.argv) > 3 else "AKIDTEST"
SECRET_ACCESS_KEY = sys.argv[3] if len(sys.argv) > 3 else "secret"
CLIENTS = {}


def client(service):
    if service not in CLIENTS:
        CLIENTS[service] = boto3.client(
            service,
            endpoint_url=ENDPOINT,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )
    return CLIENTS[service]


def plain(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


for line in sys.stdin:
    req = json.loads(line)
    try:
        c = client(req["service"])
        name = next(k for k, v in c.meta.method_to_api_mapping.items() if v == req["operation"])
        method = getattr(c, name)
        out = {"ok": plain(method(**req.get("params", {})))}
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        out = {"error": {"Code": err.get("Code"), "Message": err.get("Message"),
                         "Status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")}}
    except Exception as e:  # a client-side validation error, reported to the test
        out = {"error": {"Code": type(e).__name__, "Message": str(e), "Status": None}}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
