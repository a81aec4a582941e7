"""Submissions in nbgrader's exchange, read as untrusted data.

A student's *Submit* writes ``<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/``
with the notebooks, ``timestamp.txt`` and ``submission_secret.txt`` (written last).
Everything in that folder, its name included, is the student's; so here:

- the name must parse, with a plain student id and a released assignment;
- where students have Unix accounts of their own, the folder's owner must be
  the student it names (nbgrader's ``check_owner``); where every student runs
  as one account (a single-user spawner), ownership cannot tell them apart;
- the time is the service's: when the folder was last changed (its ctime,
  which no user can set back), never ``timestamp.txt``;
- it is read without following links, bounded in size and file count; links,
  FIFOs and devices are left behind and named in the note, never opened.
"""

import os
import pwd
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from course.grading.service.queue import Submission

#: Student and assignment ids the service accepts (nbgrader ids of ordinary accounts).
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
#: nbgrader's submission secret: hexadecimal.
SECRET = re.compile(r"^[0-9a-f]{16,256}$")
SECRET_FILE = "submission_secret.txt"
TIMESTAMP_FILE = "timestamp.txt"
#: nbgrader's timestamp format (``nbgrader.utils.get_timestamp``).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


class Refused(Exception):
    """A submission that is not graded; the message says why (shown to the student and the instructor)."""


@dataclass
class Found:
    """A complete submission folder in the inbound folder.

    Attributes:
        name: The folder's name.
        path: Its path.
        student: Student id from the name.
        assignment: Assignment id from the name.
        received: Its last change (ctime, epoch seconds).
    """

    name: str
    path: str
    student: str
    assignment: str
    received: float


def parse_name(name: str) -> Optional[Tuple[str, str]]:
    """``(student, assignment)`` of an inbound folder name, or ``None`` when it is not one of nbgrader's."""
    parts = name.split("+")
    if len(parts) not in (3, 4) or not ID.match(parts[0]) or not ID.match(parts[1]):
        return None
    return parts[0], parts[1]


def last_change(path: str, limit: int = 1000) -> float:
    """The latest ctime of a folder and what it holds (at most ``limit`` entries looked at, links not followed)."""
    latest = os.lstat(path).st_ctime
    seen = 0
    for folder, dirs, files in os.walk(path, followlinks=False):
        for name in dirs + files:
            seen += 1
            if seen > limit:
                return max(latest, time.time())
            try:
                latest = max(latest, os.lstat(os.path.join(folder, name)).st_ctime)
            except OSError:
                continue
    return latest


def owner_matches(path: str, student: str) -> bool:
    """Whether the folder's owner may be ``student``: the same name, or this service's own account (shared)."""
    uid = os.lstat(path).st_uid
    if uid == os.getuid():
        return True
    try:
        return pwd.getpwuid(uid).pw_name == student
    except KeyError:
        return False


def scan(inbound: str, known: Iterable[str], assignments: Iterable[str]) -> List[Found]:
    """New, complete submissions in the inbound folder, oldest first.

    A folder is complete once nbgrader has written its secret (its last file).
    Names that are not nbgrader's or name an assignment not released are skipped.

    Args:
        inbound: ``<exchange>/<course>/inbound``.
        known: Folder names already queued.
        assignments: Released assignment ids.
    """
    known, assignments = set(known), set(assignments)
    found = []
    try:
        names = os.listdir(inbound)
    except FileNotFoundError:
        return []
    for name in names:
        if name in known:
            continue
        parsed = parse_name(name)
        path = os.path.join(inbound, name)
        if parsed is None or parsed[1] not in assignments:
            continue
        try:
            info = os.lstat(path)
            if not stat.S_ISDIR(info.st_mode) or not stat.S_ISREG(os.lstat(os.path.join(path, SECRET_FILE)).st_mode):
                continue
            received = last_change(path)
        except OSError:
            continue
        found.append(Found(name, path, parsed[0], parsed[1], received))
    return sorted(found, key=lambda f: (f.received, f.name))


def read_secret(path: str) -> str:
    """The submission's secret; raises ``Refused`` unless it is nbgrader's kind (hex, 16 to 256 digits)."""
    secret_path = os.path.join(path, SECRET_FILE)
    try:
        fd = os.open(secret_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise Refused(f"its {SECRET_FILE} cannot be read ({err.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise Refused(f"its {SECRET_FILE} is not a file")
        secret = fh.read(300).decode("ascii", "replace").strip()
    if not SECRET.match(secret):
        raise Refused(f"its {SECRET_FILE} is not one that nbgrader writes")
    return secret


def _plan(path: str, max_bytes: float, max_files: int) -> Tuple[List[str], List[str], List[str]]:
    folders, files, left_out = [], [], []
    total = 0
    for folder, dirs, names in os.walk(path, followlinks=False):
        rel = os.path.relpath(folder, path)
        for name in dirs + names:
            if len(folders) + len(files) + len(left_out) >= max_files:
                raise Refused(f"it holds more than {max_files} files and folders")
            entry = os.path.normpath(os.path.join(rel, name))
            mode = os.lstat(os.path.join(folder, name)).st_mode
            if stat.S_ISDIR(mode):
                folders.append(entry)
            elif stat.S_ISREG(mode):
                total += os.lstat(os.path.join(folder, name)).st_size
                if total > max_bytes:
                    raise Refused(f"it is larger than {max_bytes / 2**20:g} MiB")
                files.append(entry)
            else:
                left_out.append(entry)
        dirs[:] = [d for d in dirs if stat.S_ISDIR(os.lstat(os.path.join(folder, d)).st_mode)]
    return folders, files, left_out


def _copy_file(src: str, dst: str) -> None:
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fin:
        if not stat.S_ISREG(os.fstat(fin.fileno()).st_mode):
            raise Refused(f"{os.path.basename(src)} changed while it was read")
        with open(dst, "xb") as fout:
            shutil.copyfileobj(fin, fout)


def collect(found: Found, submitted_root: str, received: float, max_bytes: float, max_files: int) -> List[str]:
    """Copies one submission into ``<submitted_root>/<student>/<assignment>/``, replacing what was there.

    The copy is built beside its place and moved in whole; ``timestamp.txt``
    holds ``received`` (the service's time), which nbgrader's late penalty reads.

    Args:
        found: The submission.
        submitted_root: The course's ``submitted/`` folder.
        received: Its arrival time (epoch seconds).
        max_bytes: Largest total size of its regular files.
        max_files: Most entries.

    Returns:
        The links, FIFOs, devices and sockets left behind, unopened (relative paths).

    Raises:
        Refused: Too large, too many files, or it changed while it was read.
    """
    folders, files, left_out = _plan(found.path, max_bytes, max_files)
    target = os.path.join(submitted_root, found.student, found.assignment)
    staging = os.path.join(submitted_root, found.student, f".incoming-{uuid.uuid4().hex}")
    os.makedirs(staging)
    try:
        for folder in folders:
            os.makedirs(os.path.join(staging, folder), exist_ok=True)
        for rel in files:
            if rel in (TIMESTAMP_FILE,):
                continue
            _copy_file(os.path.join(found.path, rel), os.path.join(staging, rel))
        with open(os.path.join(staging, TIMESTAMP_FILE), "w", encoding="ascii") as fh:
            fh.write(time.strftime(TIMESTAMP_FORMAT.replace("%f", "{:06d}"), time.gmtime(received)).format(
                int(received % 1 * 1e6)))
        if os.path.lexists(target):
            shutil.rmtree(target)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return left_out


def to_submission(found: Found, secret: str, notebooks: List[str]) -> Submission:
    """The queue's record of a new submission."""
    return Submission(
        inbound=found.name,
        student=found.student,
        assignment=found.assignment,
        received=found.received,
        secret=secret,
        notebooks=notebooks,
    )
