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


def wait_until(check, proc: subprocess.Popen, log_path: str, seconds: float = 180, what: str = "JupyterLab") -> None:
    """Waits until ``check()`` is true; fails the test with the server's log if it exits or ``check`` never holds.

    ``check`` may raise a connection error while the server starts; that counts as not yet.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                pytest.fail(f"{what} exited with {proc.returncode}:\n{fh.read()[-3000:]}")
        try:
            if check():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        pytest.fail(f"{what} not ready within {seconds:.0f} s:\n{fh.read()[-3000:]}")


def wait_for_server(url: str, proc: subprocess.Popen, log_path: str, seconds: float = 180, what: str = "JupyterLab") -> None:
    """Waits until ``url`` answers 200 (``wait_until``)."""

    def answers():
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status == 200

    wait_until(answers, proc, log_path, seconds, what)


def type_answers(page, notebook, answers) -> None:
    """Types each answer into the code cell that shows its first line, as a student would, in JupyterLab."""
    for answer in answers:
        cell = notebook.locator(".jp-CodeCell", has_text=answer.splitlines()[0].strip()).first
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(answer)
        page.keyboard.press("Escape")


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
