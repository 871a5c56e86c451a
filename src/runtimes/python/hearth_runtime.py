"""
hearth's bundled Python runtime client (python3.9 - python3.14, SCF's Python runtimes),
standard library only; bootstrap.py, the process's script, imports it and calls main(), so
that its bytecode is cached (__pycache__) rather than compiled at every start as a
script's is (~2.7 ms a start, one-off: README). It runs as the environment's process and behaves like AWS's
Python runtime for the handler (error shapes, messages and log format as awslambdaric
produces them, read from its public source as facts):

  1. pick the channel (hearth_channel.py); put the code root first on sys.path, then the
     layers' python paths (HEARTH_PYTHON_PATHS, set by the platform);
  2. load `module.function` from `_HANDLER` (init: module-level code runs now, so a
     provisioned environment has run it before any invoke); an init failure is reported
     on init/error and the process exits 1;
  3. loop: next -> handler(event, context) -> response or error -> next.
"""

import os
import sys
import time

import hearth_channel
import hearth_json

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_IDENT = "\u00a0"  # NO-BREAK SPACE, as the AWS runtime indents tracebacks
UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the runtime "
    "version in the INIT_START log entry. If this error correlates with a change in the runtime version, "
    "you may be able to mitigate this error by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)

_request_id = None


class FaultException(Exception):
    def __init__(self, exception_type, msg, trace=None):
        Exception.__init__(self, msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _indent(line):
    n = len(line) - len(line.lstrip(" "))
    return ERROR_LOG_IDENT * n + line[n:]


def log_error(error):
    """`[ERROR] Type: message` then the traceback, lines joined by CR (one log event)."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            if element == "":
                lines.append("")
            else:
                lines.extend(_indent(line) for line in element.splitlines())
    sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(lines) + "\n")


def _user_frames(tb):
    """The traceback from the first frame that is not this runtime's."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    here = os.path.abspath(__file__)
    for i, frame in enumerate(frames):
        if os.path.abspath(frame[0]) != here:
            return frames[i:]
    return []


def fault_result(exc_info, request_id=None):
    import traceback

    etype, value, tb = exc_info
    return make_error(str(value), etype.__name__, traceback.format_list(_user_frames(tb)), request_id)


def get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, str(e)))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        import importlib

        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, str(e)))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            "Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, str(e)), trace
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException("Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname))


class _Obj(object):
    """Plain attribute bag for client_context and identity (section 5.5)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "%s(%s)" % (self.__class__.__name__, self.__dict__)


class LambdaContext(object):
    """The members AWS's Python runtime gives its context object."""

    def __init__(self, inv, client_context, identity):
        self.aws_request_id = inv.request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = inv.invoked_function_arn
        self.tenant_id = None
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = inv.deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))


def _parse_header(raw, name):
    if not raw:
        return None
    try:
        return hearth_json.loads(raw)
    except Exception as e:
        raise FaultException(
            "Runtime.LambdaContextUnmarshalError", "Unable to parse {} JSON: {}".format(name, str(e))
        )


def make_context(inv):
    cc = _parse_header(inv.client_context, "Client Context")
    client_context = None
    if cc is not None:
        client_context = _Obj(
            custom=cc.get("custom"), env=cc.get("env"), client=_Obj(**cc["client"]) if cc.get("client") else None
        )
    identity = _Obj(cognito_identity_id=None, cognito_identity_pool_id=None)
    ci = _parse_header(inv.cognito_identity, "Cognito Identity")
    if ci is not None:
        identity.cognito_identity_id = ci.get("cognitoIdentityId")
        identity.cognito_identity_pool_id = ci.get("cognitoIdentityPoolId")
    return LambdaContext(inv, client_context, identity)


def _decimal_default(o):
    # AWS's runtime writes Decimals as JSON numbers. [DESIGN] The standard library has
    # no raw numbers: integral ones become ints, others floats. A Decimal exists only
    # if the function imported decimal, so the runtime does not import it (~8 ms).
    decimal_type = getattr(sys.modules.get("decimal"), "Decimal", None)
    if isinstance(decimal_type, type) and isinstance(o, decimal_type):
        if o.is_nan():
            return float("nan")
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type {} is not JSON serializable".format(o.__class__.__name__))


def make_encoder():
    """AWS's python3.12+ runtimes keep non-ASCII characters as they are."""
    ensure_ascii = os.environ.get("AWS_EXECUTION_ENV") not in (
        "AWS_Lambda_python3.12",
        "AWS_Lambda_python3.13",
        "AWS_Lambda_python3.14",
        "AWS_Lambda_python3.15",
    )
    # json.JSONEncoder's, without importing json (hearth_json.py).
    return hearth_json.Encoder(ensure_ascii=ensure_ascii, default=_decimal_default)


# Made again in main(), once the environment is the function's (a pre-started runtime).
_ENCODER = make_encoder()


def marshal(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return _ENCODER.encode(response).encode("utf-8"), "application/json"
    except Exception as e:
        raise FaultException("Runtime.MarshalError", "Unable to marshal response: {}".format(str(e)))


def unmarshal(payload, content_type):
    if content_type != "application/json":
        return payload
    try:
        return hearth_json.loads(payload) if payload else {}
    except Exception as e:
        raise FaultException("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(str(e)))


class _TraceEnv(object):
    """
    _X_AMZN_TRACE_ID per invocation without setenv(3)'s leak: glibc keeps every distinct
    NAME=value string setenv was ever given, so a new trace id per invocation grew a
    long-lived environment without bound (~4.4 MB per 40,000 values, measured). Here the
    variable's C string is a buffer of the runtime's, put in the environment by putenv(3),
    which keeps the pointer it is given and copies nothing; two buffers alternate, so a
    string getenv returned stays whole through the next invocation. os.environ's mapping
    is updated without a second setenv, so the function reads it as before and a child
    process inherits it. Without ctypes, or for a value longer than a buffer, os.environ
    is set as before (and keeps the value).
    """

    NAME = "_X_AMZN_TRACE_ID"
    SIZE = 8192

    def __init__(self):
        self.buffers = None
        self.putenv = None
        self.turn = 0
        self.unusable = False

    def set(self, value):
        if not value:
            # unsetenv(3) only drops the pointer: nothing to leak.
            os.environ.pop(self.NAME, None)
        elif self.unusable or not self._put(value):
            os.environ[self.NAME] = value

    def _put(self, value):
        env = os.environ
        try:
            raw = env.encodekey(self.NAME) + b"=" + env.encodevalue(value)
        except (AttributeError, UnicodeError):
            self.unusable = True
            return False
        if len(raw) >= self.SIZE:
            return False
        if self.buffers is None:
            try:
                import ctypes  # from the standard library (_STARTUP_MODULES)

                self.putenv = ctypes.CDLL(None).putenv
                self.buffers = (ctypes.create_string_buffer(self.SIZE), ctypes.create_string_buffer(self.SIZE))
            except Exception:
                self.unusable = True
                return False
        self.turn ^= 1
        buf = self.buffers[self.turn]
        buf.value = raw
        if self.putenv(buf) != 0:
            return False
        env._data[env.encodekey(self.NAME)] = env.encodevalue(value)
        return True


_trace_env = _TraceEnv()


def handle(channel, handler, inv):
    global _request_id
    _request_id = inv.request_id
    _trace_env.set(inv.trace_id)
    error = None
    try:
        context = make_context(inv)
        event = unmarshal(inv.payload, inv.content_type)
        result, content_type = marshal(handler(event, context))
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace, inv.request_id)
    except Exception:
        error = fault_result(sys.exc_info(), inv.request_id)
    if error is not None:
        log_error(error)
        channel.fail(inv.request_id, error["errorType"], hearth_json.dumps(error).encode("utf-8"))
    else:
        channel.respond(inv.request_id, result, content_type)


class _Unbuffered(object):
    """Every write reaches the platform at once, so a log tail is complete at the answer."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def setup_logging(level):
    """The root logger as AWS's runtime leaves it: Lambda's line format with the request id."""
    import logging

    class _RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id or ""
            return True

    class _StdoutHandler(logging.Handler):
        def emit(self, record):
            sys.stdout.write(self.format(record))

    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)
    if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        logging.getLogger().setLevel(level)


# The standard modules the runtime once imported at start for logging, decimal and json
# (per interpreter version; json's since hearth_json.py), which it now leaves to whoever
# needs them, and ctypes, which it imports at the first trace id (_TraceEnv). Loaded at
# start (as AWS's runtime loads json), they
# could not be shadowed by a same-named file in the code or a layer (those paths come
# first on sys.path); _StartupModules keeps it so. Built-in ones cannot be shadowed.
_STARTUP_MODULES = set(
    ["logging", "decimal", "_decimal", "numbers", "string", "threading", "traceback", "warnings", "weakref"]
    + ["_weakrefset", "ctypes", "_ctypes"]
    + (["contextlib", "textwrap"] if sys.version_info >= (3, 11) else [])
    + (["linecache", "token", "tokenize"] if sys.version_info < (3, 13) else ["_colorize"])
    + ["json", "re", "enum", "functools", "collections", "copyreg", "keyword", "operator", "reprlib", "types"]
    + (["sre_compile", "sre_constants", "sre_parse"] if sys.version_info < (3, 11) else [])
    + (["heapq", "_heapq"] if sys.version_info < (3, 10) else [])
)


class _StartupModules(object):
    """
    A sys.meta_path finder, first, for the names in _STARTUP_MODULES not yet imported:
    finds each as the runtime's start would have (the finders and sys.path it had), and for
    `logging` runs setup_logging right after the module's body, before anyone sees the
    module. Leaves sys.meta_path when all of them are imported.
    """

    def __init__(self, names, log_level):
        from importlib.machinery import PathFinder

        self.names = names
        self.log_level = log_level
        self.finders = list(sys.meta_path)
        self.path_finder = PathFinder
        self.path = list(sys.path)

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in self.names:
            return None
        spec = None
        for finder in self.finders:
            find = getattr(finder, "find_spec", None)
            if find is not None:
                spec = find(name, self.path if finder is self.path_finder else None, target)
                if spec is not None:
                    break
        if spec is None:
            return None
        self.names.discard(name)
        if not self.names:
            # Safe while the import system walks sys.meta_path: a spec ends the walk.
            try:
                sys.meta_path.remove(self)
            except ValueError:
                pass
        if name == "logging":
            loader = spec.loader
            exec_module = loader.exec_module
            log_level = self.log_level

            def exec_and_setup(module):
                del loader.exec_module  # the loader as it was
                exec_module(module)
                setup_logging(log_level)

            loader.exec_module = exec_and_setup
        return spec


def defer_startup_modules():
    """Called before the code's and the layers' paths go on sys.path."""
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if "logging" in sys.modules:
        setup_logging(level)
    names = set(n for n in _STARTUP_MODULES if n not in sys.modules)
    if names:
        sys.meta_path.insert(0, _StartupModules(names, level))


def limit_memory():
    """
    Without a memory cgroup (the platform says so in _HEARTH_MEMORY_CGROUP), MemorySize
    still bounds the process: its data segment (heap and private writable mappings, which
    is what Python allocates) may not grow past MemorySize plus what the interpreter had
    at start. RLIMIT_DATA rather than RLIMIT_AS: address space that malloc arenas and
    thread stacks only reserve is not memory used, and would fail a 128 MB function that
    runs on Lambda.
    """
    cgroup = os.environ.pop("_HEARTH_MEMORY_CGROUP", None)
    if cgroup == "1":
        return
    try:
        import resource

        mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0"))
        if mb <= 0:
            return
        base = 0
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    base = int(line.split()[1]) * 1024
                    break
        limit = base + mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except Exception:
        pass


def take_assignment(channel):
    """
    A pre-started runtime (src/pool/launchers/prestarted.ts): this process was started
    before its function existed, with the same interpreter, arguments and MemorySize as its
    function has, and with the same values of every variable the interpreter reads when it
    starts (PYTHON*, LANG, LC_*, TZ...: the runtime table's startVariables); it has
    imported the runtime's modules and now waits on the private channel for ASSIGN, then
    takes on the function's whole environment (putenv(3) and unsetenv(3) through
    os.environ, so child processes and C code see it) and working directory, as a runtime
    started for it would have had them. What differs is /proc/self/environ (the variables
    at exec) and the process's age.
    """
    try:
        assignment = hearth_json.loads(channel.assignment())
        env, cwd = assignment["env"], assignment["cwd"]
        if not isinstance(cwd, str) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise ValueError("not strings")
    except Exception:
        sys.stderr.write("hearth: a pre-started runtime received no valid assignment\n")
        sys.exit(1)
    # What the interpreter itself set when it started (PEP 538's LC_CTYPE=C.UTF-8 where
    # the locale is C): a fresh runtime's interpreter sets the same, its locale variables
    # being the same (start variables), so those stay.
    at_exec = set()
    try:
        with open("/proc/self/environ", "rb") as f:
            at_exec = set(os.fsdecode(e.split(b"=", 1)[0]) for e in f.read().split(b"\0") if e)
    except OSError:
        pass
    started = dict((k, v) for k, v in os.environ.items() if at_exec and k not in at_exec)
    for name in list(os.environ):
        if name not in env:
            del os.environ[name]
    for name, value in env.items():
        os.environ[name] = value
    for name, value in started.items():
        if name not in env:
            os.environ[name] = value
    # The channel's fd variable, as open_channel() removes it from a fresh runtime's.
    os.environ.pop("_HEARTH_RUNTIME_FD", None)
    os.chdir(cwd)


def main():
    global _ENCODER
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    channel = hearth_channel.open_channel()
    if os.environ.get("_HEARTH_BLANK") == "1":
        take_assignment(channel)
        _ENCODER = make_encoder()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    # Lambda's order: the code, then the layers (/opt/python...), then the runtime.
    extra = [p for p in os.environ.get("HEARTH_PYTHON_PATHS", "").split(os.pathsep) if p]
    os.environ.pop("HEARTH_PYTHON_PATHS", None)
    defer_startup_modules()
    sys.path[0:0] = [task_root] + extra
    limit_memory()
    try:
        handler = get_handler(os.environ.get("_HANDLER", ""))
        error = None
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace)
    except Exception:
        error = fault_result(sys.exc_info())
    if error is not None:
        import logging  # configured as it loads (_StartupModules)

        logging.warning(UNHANDLED_WARNING)
        log_error(error)
        channel.init_error(error["errorType"], hearth_json.dumps(error).encode("utf-8"))
        sys.exit(1)
    while True:
        handle(channel, handler, channel.next())

