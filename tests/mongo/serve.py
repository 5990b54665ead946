"""Run a command against a throwaway SecantusDB (MongoDB wire) server.

    python tests/mongo/serve.py [options] -- COMMAND [ARG...]

Starts tests/mongo/secantus_launcher.py with the SecantusDB venv's python on a free 127.0.0.1
port with `--storage-path :memory:`, waits until it answers a `hello`, runs COMMAND with
DATABASE_URL and MONGODB_URI set to mongodb://127.0.0.1:PORT/DB, stops the server afterwards
(also on Ctrl-C, SIGTERM or a failure) and exits with COMMAND's exit code. Standard library
only, so any python runs it. Exit codes of its own: 3 if the server does not come up, 2 for bad
usage; the server's log tail is printed when it fails to start.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).resolve().with_name("secantus_launcher.py")
DEFAULT_PYTHON = ROOT / ".venv-secantus" / "bin" / "python"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bson_hello() -> bytes:
    """The BSON document {hello: 1, $db: "admin"} (int32 and string elements only)."""
    elements = b"\x10hello\x00" + struct.pack("<i", 1)
    elements += b"\x02$db\x00" + struct.pack("<i", len(b"admin") + 1) + b"admin\x00"
    return struct.pack("<i", 4 + len(elements) + 1) + elements + b"\x00"


def hello_ok(port: int, timeout: float = 2.0) -> bool:
    """Send one OP_MSG hello; True if the reply carries ok: 1.0."""
    body = struct.pack("<I", 0) + b"\x00" + _bson_hello()  # flagBits, section kind 0, document
    header = struct.pack("<iiii", 16 + len(body), 1, 0, 2013)  # messageLength, requestID, responseTo, OP_MSG
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(header + body)
            raw = b""
            while len(raw) < 4 or len(raw) < struct.unpack("<i", raw[:4])[0]:
                chunk = sock.recv(65536)
                if not chunk:
                    return False
                raw += chunk
    except OSError:
        return False
    # A readiness probe, not a BSON parser: the reply's top-level `ok` is the double 1.0.
    return b"\x01ok\x00" + struct.pack("<d", 1.0) in raw


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # SIGTERM: secantus.cli stops the server and cleans up its :memory: home
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _Terminated(Exception):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=os.environ.get("SECANTUS_PYTHON", str(DEFAULT_PYTHON)),
                        help="python of the SecantusDB venv (default: .venv-secantus/bin/python, or $SECANTUS_PYTHON)")
    parser.add_argument("--db", default="llmops_test", help="database name in the URI (default: llmops_test)")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds to wait for the server")
    parser.add_argument("--unpatched", action="store_true",
                        help="run plain secantusd-py instead of the launcher (to see what the launcher's patch fixes)")
    parser.add_argument("--log", type=Path, default=None, help="server log file (default: a temporary file)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (usage: serve.py -- COMMAND [ARG...])")
    if not Path(args.python).exists():
        print(f"serve.py: no SecantusDB python at {args.python} (run `make secantus`)", file=sys.stderr)
        return 3

    ran = False
    port = free_port()
    log_path = args.log or Path(tempfile.gettempdir()) / f"secantus-{port}.log"
    log_file = open(log_path, "wb")
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    # Its own session: a Ctrl-C at the terminal reaches the command, and this script stops the server.
    program = [str(Path(args.python).with_name("secantusd-py"))] if args.unpatched else [args.python, str(LAUNCHER)]
    server = subprocess.Popen(
        [*program, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )
    try:
        while not hello_ok(port):
            if server.poll() is not None or time.monotonic() - started > args.start_timeout:
                why = f"exited with {server.returncode}" if server.poll() is not None else \
                    f"did not answer within {args.start_timeout:.0f} s"
                print(f"serve.py: SecantusDB {why}; log {log_path}:\n{tail(log_path)}", file=sys.stderr)
                return 3
            time.sleep(0.2)
        uri = f"mongodb://127.0.0.1:{port}/{args.db}"
        print(f"serve.py: SecantusDB ready on 127.0.0.1:{port} in {time.monotonic() - started:.1f} s "
              f"(log {log_path}); running: {' '.join(command)}", file=sys.stderr, flush=True)
        env = {**os.environ, "DATABASE_URL": uri, "MONGODB_URI": uri}
        child = subprocess.Popen(command, env=env)
        ran = True
        try:
            return child.wait()
        except (KeyboardInterrupt, _Terminated):
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return 130
    except (KeyboardInterrupt, _Terminated):
        return 130
    finally:
        stop(server)
        log_file.close()
        if ran and server.returncode not in (0, -signal.SIGTERM):
            print(f"serve.py: SecantusDB exited with {server.returncode}; log {log_path}:\n{tail(log_path, 20)}",
                  file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
