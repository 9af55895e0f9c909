"""Start the web server and the django-q2 cluster together; Ctrl-C stops both.

This is what `make run` ends with. Both run as child processes of this command.
The cluster gets its own process group: a signal to all its processes at once
(a terminal Ctrl-C, ``kill -- -PGID``) makes django-q2 hang while it stops, so only
this command tells it to stop, with one SIGTERM to its main process (a second signal
re-enters django-q2's stop and can deadlock it). Each child gets
``STOP_GRACE_SECONDS``; whatever is left of its process group then (the cluster's
main process, or workers still busy with a task) is killed with SIGKILL, and the
command says so. A child also dies with this command if it is killed outright
(Linux parent-death signal): none is ever left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from cases.demo_security import banner_lines

STOP_GRACE_SECONDS = int(os.environ.get("STOP_GRACE_SECONDS") or 10)
# runserver answers each request in a new thread, and each thread opens its own
# database connection; with persistent connections (DB_CONN_MAX_AGE) those outlive
# their threads, so a demo on PostgreSQL piled up 20-30 idle connections. Closing
# each at the end of its request costs a millisecond on the local server.
WEB_SERVER_ENV = {"DB_CONN_MAX_AGE": "0"}
READY_TIMEOUT_SECONDS = 60


class Command(BaseCommand):
    help = "Run the web server and the django-q2 cluster together (the `make run` demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart the web server when code changes (development).",
        )
        parser.add_argument("--no-cluster", action="store_true", help="Start the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], str(options["port"])
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        self._stopping = False
        self._exit_code = 0
        self._children: dict[str, subprocess.Popen] = {}

        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            if not options["no_cluster"]:
                self._start("task cluster", [sys.executable, manage, "qcluster"], own_group=True)
            bind = f"{_bracket(host)}:{port}"
            server_cmd = [sys.executable, manage, "runserver", bind]
            if options["reload"]:
                # The autoreloader serves from a grandchild: signal its whole group.
                self._start(
                    "web server", server_cmd, own_group=True, signal_group=True, env=WEB_SERVER_ENV
                )
            else:
                self._start(
                    "web server", [*server_cmd, "--noreload"], own_group=False, env=WEB_SERVER_ENV
                )
            if self._wait_until_ready(host, port):
                self._print_banner(host, port)
            while not self._stopping:
                for name, proc in self._children.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"The {name} exited with status {proc.returncode}.")
                        self._stopping = True
                        self._exit_code = proc.returncode or 1
                        break
                time.sleep(0.5)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self._exit_code:
            raise CommandError("Stopped because a component exited.", returncode=self._exit_code)
        self.stdout.write("Stopped the web server and the task cluster.")

    # -- children

    def _start(
        self,
        name: str,
        cmd: list[str],
        *,
        own_group: bool,
        signal_group: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        proc = subprocess.Popen(  # noqa: S603 - our own manage.py
            cmd,
            process_group=0 if own_group else None,
            preexec_fn=_die_with_parent,
            env={**os.environ, **env} if env else None,
        )
        # How to stop this child, kept on its Popen object (which declares no such fields).
        proc._akrites_signal_group = signal_group  # type: ignore[attr-defined]
        proc._akrites_own_group = own_group  # type: ignore[attr-defined]
        self._children[name] = proc

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _signal(self, proc: subprocess.Popen, sig: int) -> None:
        try:
            if getattr(proc, "_akrites_signal_group", False):
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def _stop_all(self) -> None:
        started = time.monotonic()
        for name, proc in self._children.items():
            if proc.poll() is None:
                # The web server stops on Ctrl-C (it may have had it already); the
                # cluster on one SIGTERM.
                sig = signal.SIGTERM if name == "task cluster" else signal.SIGINT
                self.stdout.write(f"Stopping the {name} ({sig.name} to process {proc.pid}).")
                self._signal(proc, sig)
        deadline = started + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(map(_left, self._children.values())):
            time.sleep(0.1)
        for name, proc in self._children.items():
            if _left(proc):
                target = f"process group {proc.pid}" if _own_group(proc) else f"process {proc.pid}"
                self.stderr.write(
                    f"The {name} did not stop within {STOP_GRACE_SECONDS} s: "
                    f"sent SIGKILL to {target}."
                )
                _kill(proc)
            else:
                self.stdout.write(f"The {name} stopped.")

    # -- readiness

    def _wait_until_ready(self, host: str, port: str) -> bool:
        url = f"http://{_bracket(_local(host))}:{port}/login/"
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self._stopping:
            if any(p.poll() is not None for p in self._children.values()):
                return False
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local probe
                    return True
            except urllib.error.HTTPError:
                return True  # it answers; the banner is still worth printing
            except OSError:
                time.sleep(0.3)
        return False

    def _print_banner(self, host: str, port: str) -> None:
        lines = [
            "",
            f"Akrites is running at http://{_bracket(_local(host))}:{port}/",
            f"Demo accounts (password: {DEMO_PASSWORD}):",
        ]
        width = max(len(name) for name, _ in DEMO_ACCOUNTS)
        lines += [f"  {name.ljust(width)}  {what}" for name, what in DEMO_ACCOUNTS]
        lines += banner_lines()
        lines += ["Press Ctrl-C to stop the web server and the task cluster.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()


def _own_group(proc: subprocess.Popen) -> bool:
    return getattr(proc, "_akrites_own_group", False)


def _left(proc: subprocess.Popen) -> bool:
    """The child, or anything of its own process group, is still running."""
    if proc.poll() is None:
        return True
    if not _own_group(proc):
        return False
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        if _own_group(proc):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    proc.wait()


def _local(host: str) -> str:
    """The address to reach a server bound to ``host`` from this machine."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
