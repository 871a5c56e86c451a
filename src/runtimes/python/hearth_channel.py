"""
The two ways hearth's Python runtime talks to the platform (standard library only):

- the private channel: length-prefixed frames on a socketpair (fd named by
  _HEARTH_RUNTIME_FD), the format of src/runtimes/node/frames.cjs and
  src/pool/runtime-channel/frames.ts; the runtime blocks in read(2) between invocations
  (Lambda's freeze, for free) and writes each answer together with the next NEXT in one
  write(2);
- the Lambda Runtime API over HTTP/1.1 (aws-lambda.md section 5.2-5.3), one kept-alive
  connection, for environments without the private channel.

Frame: u32le bodyLength | u8 type | body; strings are u16le byteLength + UTF-8.
  INVOKE    f64le deadlineMs | requestId | invokedFunctionArn | traceId | clientContext
            | cognitoIdentity | payload
  NEXT      empty
  RESPONSE  requestId | contentType | payload
  ERROR     requestId | errorType | error document
  INIT_ERROR errorType | error document
  RESPONSE_TOO_LARGE requestId | f64le sizeBytes
  PEAK      u32le peakKb, just before an answer: the process's peak resident memory,
            sent when getrusage(2) tells it exactly (see _peak_reader), so that the
            platform reads no /proc file for the answer
"""

import errno
import os
import resource
import struct
import sys

INVOKE, NEXT, RESPONSE, ERROR, INIT_ERROR, RESPONSE_TOO_LARGE, PEAK, ASSIGN = 1, 2, 3, 4, 5, 6, 7, 8
HEADER = struct.Struct("<IB")
NEXT_FRAME = HEADER.pack(0, NEXT)
PEAK_FRAME = struct.Struct("<IBI")
# Largest response the platform accepts (section 5.2, RIE MaxPayloadSize).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100


class Invocation(object):
    __slots__ = (
        "request_id",
        "deadline_ms",
        "invoked_function_arn",
        "trace_id",
        "client_context",
        "cognito_identity",
        "payload",
        "content_type",
    )

    def __init__(self, request_id, deadline_ms, arn, trace_id, client_context, cognito, payload, content_type):
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.invoked_function_arn = arn
        self.trace_id = trace_id
        self.client_context = client_context
        self.cognito_identity = cognito
        self.payload = payload
        self.content_type = content_type


def _strings(*values):
    out = []
    for v in values:
        b = v.encode("utf-8")
        out.append(struct.pack("<H", len(b)))
        out.append(b)
    return b"".join(out)


def _frame(kind, body):
    return HEADER.pack(len(body), kind) + body


def _no_peak():
    return 0


# Bound while the runtime starts, before the function's directory is on sys.path (a
# `resource.py` of its own must not stand in for the standard module) or its code runs.
_getrusage = resource.getrusage
_RUSAGE_SELF = resource.RUSAGE_SELF


def _rusage_peak():
    return _getrusage(_RUSAGE_SELF).ru_maxrss


def _status_kb(status, field):
    """A `Field:   123 kB` line's number from /proc/<pid>/status (no `re`: hearth_json.py)."""
    for line in status.split(b"\n"):
        if line.startswith(field):
            parts = line[len(field) :].split()
            if len(parts) == 2 and parts[1] == b"kB" and parts[0].isdigit():
                return int(parts[0])
            return None
    return None


def _peak_reader():
    """
    How the process's peak resident memory (KB) is read for a PEAK frame; one answering 0
    (no frame) where getrusage(2) cannot be trusted. Its ru_maxrss is the larger of the
    process's own peak and that of the image it replaced at exec, so a runtime forked from
    a larger process than itself would report that process's size: it is trusted
    only if, when first asked, it is no larger than VmHWM (both only grow from there on).
    Same rule as src/runtimes/node/channel-fd.cjs.
    """
    try:
        with open("/proc/self/status", "rb") as f:
            hwm = _status_kb(f.read(), b"VmHWM:")
        if hwm is not None and _rusage_peak() <= hwm:
            return _rusage_peak
    except OSError:
        pass
    return _no_peak


class FdChannel(object):
    """Blocking frames on a socketpair fd."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.next_sent = False
        self._peak = None

    def _peak_frame(self):
        if self._peak is None:
            self._peak = _peak_reader()
        kb = self._peak()
        return PEAK_FRAME.pack(4, PEAK, min(kb, 0xFFFFFFFF)) if kb > 0 else b""

    def _write(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except InterruptedError:
                continue
            view = view[n:]

    def _fill(self, size):
        while len(self.buf) < size:
            try:
                chunk = os.read(self.fd, max(65536, size - len(self.buf)))
            except InterruptedError:
                continue
            except OSError as e:
                if e.errno == errno.EAGAIN:
                    continue
                raise
            if not chunk:
                # The platform closed its end: hearth is gone, so is this environment.
                os._exit(0)
            self.buf += chunk

    def _take(self, wanted):
        """Blocks until a frame of kind `wanted` has arrived (skipping others); its body."""
        while True:
            self._fill(5)
            length, kind = HEADER.unpack_from(self.buf, 0)
            self._fill(5 + length)
            body = self.buf[5 : 5 + length]
            self.buf = self.buf[5 + length :]
            if kind == wanted:
                return body

    def next(self):
        if not self.next_sent:
            self._write(NEXT_FRAME)
        self.next_sent = False
        return _decode_invoke(self._take(INVOKE))

    def assignment(self):
        """A pre-started runtime's wait for its function: the ASSIGN frame's JSON (hearth_runtime.py)."""
        return self._take(ASSIGN)

    def respond(self, request_id, payload, content_type):
        if len(payload) > MAX_RESPONSE_BYTES:
            # Measured here so that an oversized body never crosses the channel (section 5.2).
            body = _strings(request_id) + struct.pack("<d", float(len(payload)))
            self._write(self._peak_frame() + _frame(RESPONSE_TOO_LARGE, body) + NEXT_FRAME)
        else:
            frame = _frame(RESPONSE, _strings(request_id, content_type) + payload)
            self._write(self._peak_frame() + frame + NEXT_FRAME)
        self.next_sent = True

    def fail(self, request_id, error_type, document):
        frame = _frame(ERROR, _strings(request_id, error_type) + document)
        self._write(self._peak_frame() + frame + NEXT_FRAME)
        self.next_sent = True

    def init_error(self, error_type, document):
        self._write(_frame(INIT_ERROR, _strings(error_type) + document))


def _decode_invoke(body):
    (deadline,) = struct.unpack_from("<d", body, 0)
    offset = 8
    values = []
    for _ in range(5):
        (n,) = struct.unpack_from("<H", body, offset)
        values.append(body[offset + 2 : offset + 2 + n].decode("utf-8"))
        offset += 2 + n
    return Invocation(
        values[0], int(deadline), values[1], values[2], values[3], values[4], body[offset:], "application/json"
    )


class HttpChannel(object):
    """The Lambda Runtime API (section 5.2-5.3) on one kept-alive connection."""

    def __init__(self, address):
        # Imported here: http.client costs ~25 ms of start-up that the private channel saves.
        import http.client

        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def _request(self, method, path, body=None, headers=None):
        self.conn.request(method, "/2018-06-01" + path, body=body, headers=headers or {})
        res = self.conn.getresponse()
        data = res.read()
        return res, data

    def next(self):
        res, data = self._request("GET", "/runtime/invocation/next")
        if res.status != 200:
            raise RuntimeError("GET /runtime/invocation/next answered %d" % res.status)
        return Invocation(
            res.getheader("Lambda-Runtime-Aws-Request-Id", ""),
            int(res.getheader("Lambda-Runtime-Deadline-Ms", "0")),
            res.getheader("Lambda-Runtime-Invoked-Function-Arn", ""),
            res.getheader("Lambda-Runtime-Trace-Id", ""),
            res.getheader("Lambda-Runtime-Client-Context", ""),
            res.getheader("Lambda-Runtime-Cognito-Identity", ""),
            data,
            res.getheader("Content-Type", "application/json") or "application/json",
        )

    def respond(self, request_id, payload, content_type):
        res, _ = self._request(
            "POST", "/runtime/invocation/%s/response" % request_id, payload, {"Content-Type": content_type}
        )
        if res.status == 413:
            sys.stdout.write("Response payload size exceeded maximum allowed payload size.\n")

    def fail(self, request_id, error_type, document):
        self._request(
            "POST",
            "/runtime/invocation/%s/error" % request_id,
            document,
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type},
        )

    def init_error(self, error_type, document):
        self._request(
            "POST",
            "/runtime/init/error",
            document,
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type},
        )


def open_channel():
    fd = os.environ.pop("_HEARTH_RUNTIME_FD", None)
    if fd is not None:
        return FdChannel(int(fd))
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        raise RuntimeError("AWS_LAMBDA_RUNTIME_API environment variable is not set")
    return HttpChannel(address)
