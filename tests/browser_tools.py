"""What the browser tests share: Debian's Chromium, local servers they start and stop, active markup."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser

import pytest

CHROMIUM = "/usr/bin/chromium"
#: As root, headless, and quiet on a machine without a network (no background connections).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, proc: subprocess.Popen, log_path: str, seconds: float = 180, what: str = "JupyterLab") -> None:
    """Waits until ``url`` answers 200; fails the test with the server's log if it exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                pytest.fail(f"{what} exited with {proc.returncode}:\n{fh.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} did not answer at {url} within {seconds:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stops a server started in its own session (and everything it started): SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def active_tags(page: str) -> list:
    """Tags of an HTML fragment that are scripts or carry an event handler or a script URL."""
    found = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                squeezed = "".join((value or "").split()).lower()
                if name.startswith("on") or squeezed.startswith(("javascript:", "vbscript:")):
                    found.append(f"<{tag} {name}={value!r}>")
            if tag in ("script", "iframe", "svg", "object", "embed"):
                found.append(f"<{tag}>")

    Finder().feed(page)
    return found
