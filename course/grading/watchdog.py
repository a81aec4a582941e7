"""The watchdog of a sandboxed run: wall clock, memory (tmpfs included), disk and processes, from outside."""

import os
import signal
import stat
import threading
import time
from typing import Optional, Tuple

from course.grading.limits import Limits
from course.grading.sandbox import INSIDE_HOME


class Watchdog:
    """Kills a process tree that runs too long or uses too much memory.

    A thread polls the resident memory of the process and all its
    descendants (the whole sandbox) every ``interval`` seconds.

    Args:
        pid: The process to watch (bwrap, or an unsandboxed kernel).
        limits: Wall-clock and memory limits.
        interval: Seconds between two looks.
    """

    def __init__(self, pid: int, limits: Limits, interval: float = 0.2, workdir: Optional[str] = None):
        self.pid = pid
        self.workdir = workdir
        self._disk_checked = 0.0
        self.limits = limits
        self.interval = interval
        self.started = time.monotonic()
        self.reason: Optional[str] = None
        self.peak_mb = 0.0
        #: A monotonic time after which the process is stopped (one call's limit), with its reason.
        self.deadline: Optional[Tuple[float, str]] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watchdog-{pid}", daemon=True)
        self._thread.start()

    def _processes(self) -> list:
        import psutil

        try:
            root = psutil.Process(self.pid)
            return [root] + root.children(recursive=True)
        except psutil.Error:
            return []

    def _memory_mb(self, procs=None) -> float:
        """Resident memory of every process, plus what the sandbox's tmpfs mounts hold."""
        import psutil

        procs = self._processes() if procs is None else procs
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return (total + self._tmpfs_bytes(procs)) / 2**20

    @staticmethod
    def _tmpfs_bytes(procs) -> int:
        """Bytes held by the private ``/tmp`` and home of the sandbox, seen through a process inside it.

        A process outside the sandbox (bwrap itself, an unsandboxed run) sees
        the host's ``/tmp``, which is not counted.
        """
        host_tmp = os.stat("/tmp").st_dev
        for proc in reversed(procs):
            try:
                if os.stat(f"/proc/{proc.pid}/root/tmp").st_dev == host_tmp:
                    continue
                used = 0
                for folder in ("tmp", INSIDE_HOME.lstrip("/")):
                    st = os.statvfs(f"/proc/{proc.pid}/root/{folder}")
                    used += (st.f_blocks - st.f_bfree) * st.f_frsize
                return used
            except OSError:
                continue
        return 0

    def _disk_mb(self, cap_entries: int = 20000) -> float:
        """What the working folder holds (walked without following links; ``inf`` past ``cap_entries``)."""
        total, seen = 0, 0
        stack = [self.workdir]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > cap_entries:
                    return float("inf")
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                else:
                    total += st.st_blocks * 512
        return total / 2**20

    def _kill(self) -> None:
        try:
            group = os.getpgid(self.pid)
            if group != os.getpgid(0):  # never the grader's own process group
                os.killpg(group, signal.SIGKILL)
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - self.started
            deadline = self.deadline
            procs = self._processes()
            memory = self._memory_mb(procs)
            self.peak_mb = max(self.peak_mb, memory)
            disk = 0.0
            if self.workdir and time.monotonic() - self._disk_checked >= 1.0:
                self._disk_checked = time.monotonic()
                disk = self._disk_mb()
            if memory > self.limits.memory_mb:
                self.reason = f"memory: it used more than {self.limits.memory_mb:,} MiB (memory and /tmp)"
            elif disk > self.limits.disk_mb:
                self.reason = f"disk: it wrote more than {self.limits.disk_mb:,} MiB to its folder"
            elif len(procs) > self.limits.processes:
                self.reason = f"processes: it started more than {self.limits.processes:,} processes"
            elif elapsed > self.limits.seconds:
                self.reason = f"time: it ran longer than {self.limits.seconds:,.0f} s"
            elif deadline is not None and time.monotonic() > deadline[0]:
                self.reason = deadline[1]
            if self.reason:
                self._kill()
                return

    def stop(self) -> None:
        """Stops watching (the process ended)."""
        self._stop.set()
        self._thread.join(timeout=5)
