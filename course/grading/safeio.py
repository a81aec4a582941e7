"""Reading files a student controls without following links, blocking, or reading without end.

Everything the grader's own process reads from a submission (``timestamp.txt``,
the notebooks, the files copied to workers) goes through ``read_regular``:
only a regular file, opened without following a symbolic link
(``O_NOFOLLOW``) and without blocking on a FIFO (``O_NONBLOCK``), at most
``limit`` bytes, within ``timeout`` seconds. ``special_entries`` finds what
must not be read at all (links, FIFOs, sockets, devices), and
``shown_name`` writes a student's file name so that it reads as one name on
one line, whatever characters it holds.
"""

import os
import stat
import threading
from typing import List, Optional, Tuple

#: Largest file of a submission the grader reads (a notebook with its outputs).
MAX_READ_BYTES = 64 * 2**20
#: Seconds one read may take (a file on a stalled network file system).
READ_TIMEOUT = 10.0


class UnsafeFile(OSError):
    """A submission file that is not read: a link, a special file, too large or too slow.

    Attributes:
        why: What it is, for a note (``'a symbolic link'``, ``'a FIFO'``, ...).
    """

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "a special file"


def read_regular(path: str, limit: int = MAX_READ_BYTES, timeout: float = READ_TIMEOUT) -> bytes:
    """Reads a regular file without following links, at most ``limit`` bytes, within ``timeout`` seconds.

    Args:
        path: The file.
        limit: Most bytes read; a larger file is refused.
        timeout: Seconds the read may take.

    Returns:
        The file's bytes.

    Raises:
        UnsafeFile: It is a link or not a regular file, larger than ``limit``,
            or the read took longer than ``timeout``.
        OSError: It cannot be opened (missing, no permission).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if os.path.islink(path):
            raise UnsafeFile("a symbolic link") from err
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeFile(kind_of(st.st_mode))
    if st.st_size > limit:
        os.close(fd)
        raise UnsafeFile(f"larger than {limit // 2**20:,} MiB")
    result: List[Optional[bytes]] = [None]

    def work():
        chunks, size = [], 0
        try:
            while size <= limit:
                chunk = os.read(fd, min(2**20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            result[0] = b"".join(chunks)
        finally:
            os.close(fd)

    reader = threading.Thread(target=work, name="read-regular", daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        raise UnsafeFile(f"not readable within {timeout:g} s")
    data = result[0]
    if data is None:
        raise UnsafeFile("not readable")
    if len(data) > limit:
        raise UnsafeFile(f"larger than {limit // 2**20:,} MiB")
    return data


def read_text(path: str, limit: int = MAX_READ_BYTES, timeout: float = READ_TIMEOUT) -> str:
    """``read_regular`` decoded as UTF-8 (undecodable bytes replaced)."""
    return read_regular(path, limit, timeout).decode("utf-8", "replace")


def special_entries(folder: str) -> List[Tuple[str, str]]:
    """Everything under ``folder`` that is neither a regular file nor a folder, links included, never followed.

    Returns:
        ``(path relative to folder, what it is)`` pairs, sorted.
    """
    found = []

    def walk(current: str) -> None:
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                walk(entry.path)
            elif not stat.S_ISREG(mode):
                found.append((os.path.relpath(entry.path, folder), kind_of(mode)))

    walk(folder)
    return found


def shown_name(name: str, limit: int = 120) -> str:
    """A student's file name as it may appear in a note: one line, control characters escaped, quoted."""
    text = repr(str(name))
    return text if len(text) <= limit else text[: limit - 4] + "...'"
