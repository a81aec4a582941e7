"""The grading sandbox (course/grading/sandbox.py): what a sandboxed process can see and do."""

import os
import subprocess
import sys
import textwrap
import time
import uuid

import psutil
import pytest

from conftest import ROOT
from course.grading import sandbox as sbx
from course.grading.kernel import copy_back_artifacts
from course.grading.bounded_run import MAX_STDERR_BYTES, run_sandboxed
from course.grading.limits import Limits
from course.grading.sandbox import Sandbox, filter_environment

AVAILABLE, WHY = sbx.check_bwrap("bwrap")
needs_bwrap = pytest.mark.skipif(not AVAILABLE, reason=f"sandbox unavailable here: {WHY}")


def _python(code: str, sandbox=None, limits=Limits(60, 2048), env=None, read_only=()):
    argv = [sys.executable, "-c", textwrap.dedent(code)]
    return run_sandboxed(argv, sandbox if sandbox is not None else Sandbox(), limits, read_only=read_only, env=env)


def test_environment_is_reduced_to_the_allow_list():
    """Do only the course's settings, locale and thread-count variables reach a sandboxed process, by name?"""
    env = {"COURSE_PROFILE": "cpu", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "2", "AWS_SECRET": "x", "HOME": "/root",
           "COURSE_GRADING_SALT": "salt", "COURSE_ANYTHING": "y"}
    assert filter_environment(env) == {"COURSE_PROFILE": "cpu", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "2"}
    inside = Sandbox().environment(env)
    assert "AWS_SECRET" not in inside and inside["HOME"] == sbx.INSIDE_HOME


def test_the_grading_salt_never_reaches_student_code_whatever_the_allow_list():
    """Is COURSE_GRADING_SALT dropped even when an instructor allows COURSE_*, and for unsandboxed processes too?"""
    env = {"COURSE_PROFILE": "cpu", "COURSE_GRADING_SALT": "salt", "GRADER_API_TOKEN": "t", "PATH": "/bin"}
    assert Sandbox(env_allow=["COURSE_*", "*TOKEN*"]).environment(env).get("COURSE_PROFILE") == "cpu"
    assert "COURSE_GRADING_SALT" not in Sandbox(env_allow=["COURSE_*"]).environment(env)
    assert "GRADER_API_TOKEN" not in Sandbox(env_allow=["*TOKEN*"]).environment(env)
    assert sbx.without_secrets(env) == {"COURSE_PROFILE": "cpu", "PATH": "/bin"}


@pytest.mark.parametrize("sandboxed", [True, False])
def test_a_verifier_like_process_gets_no_salt(sandboxed):
    """Does a process started by run_sandboxed (the function runner, verifiers) see the salt, sandboxed or not?"""
    if sandboxed and not AVAILABLE:
        pytest.skip(WHY)
    box = Sandbox() if sandboxed else Sandbox(enabled=False)
    env = dict(os.environ, COURSE_GRADING_SALT="salt-" + uuid.uuid4().hex, COURSE_PROFILE="cpu")
    code, out, err, _ = _python("import os; print(os.environ.get('COURSE_GRADING_SALT'), os.environ.get('COURSE_PROFILE'))",
                                sandbox=box, env=env)
    assert (code, out.split()) == (0, ["None", "cpu"]), err


def test_limits_come_from_the_assignment():
    """Does each assignment get its own limits, and an unknown one the defaults?"""
    box = Sandbox(limits={"01_concepts": {"seconds": 60}}, default_limits={"seconds": 900, "memory_mb": 1000})
    assert box.limits_for("01_concepts") == Limits(60, 1000)
    assert box.limits_for("99_other") == Limits(900, 1000)


def test_missing_bubblewrap_is_reported_and_can_be_required():
    """Without bubblewrap, does the sandbox say why, and refuse when it is required?"""
    box = Sandbox(bwrap="/nonexistent/bwrap")
    ok, why = box.status()
    assert not ok and "bubblewrap" in why
    assert box.active() is False
    with pytest.raises(sbx.SandboxUnavailable, match="required"):
        Sandbox(bwrap="/nonexistent/bwrap", required=True).active()


@needs_bwrap
def test_sandboxed_process_sees_only_what_it_is_given(tmp_path, monkeypatch):
    """Are the course directory, the grader's home and secrets invisible, and the environment read-only?"""
    monkeypatch.setenv("GRADER_API_TOKEN", "token-" + uuid.uuid4().hex)
    code = f"""
        import json, os, socket, sys
        import course
        result = {{
            "source": os.path.exists({os.path.join(ROOT, 'source')!r}),
            "readme": os.path.exists({os.path.join(ROOT, 'README.md')!r}),
            "home": os.path.expanduser("~"),
            "grader_home_listed": os.path.exists(os.path.join({os.path.expanduser('~')!r}, ".bashrc")),
            "token": os.environ.get("GRADER_API_TOKEN"),
            "uid": os.getuid(),
        }}
        import numpy
        for name, path in (("venv", os.path.join(sys.prefix, "pyvenv.cfg")), ("numpy", numpy.__file__), ("course", course.__file__)):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
                result[name] = "writable"
            except OSError as err:
                result[name] = err.strerror
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=2).close()
            result["net"] = "open"
        except OSError as err:
            result["net"] = err.strerror
        print(json.dumps(result))
    """
    rc, out, err, reason = _python(code)
    assert rc == 0, err
    import json

    result = json.loads(out.strip().splitlines()[-1])
    assert result["source"] is False and result["readme"] is False
    assert result["home"] == sbx.INSIDE_HOME and result["grader_home_listed"] is False
    assert result["token"] is None
    assert result["uid"] != 0
    assert {result[k] for k in ("venv", "numpy", "course")} == {"Read-only file system"}
    assert result["net"] != "open"


@needs_bwrap
def test_a_daemon_does_not_outlive_its_sandbox():
    """Is a process started with its own session inside the sandbox gone when the sandbox ends?"""
    marker = f"course-daemon-{uuid.uuid4().hex}"
    code = f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", {marker!r}], start_new_session=True)
        print("started")
    """
    rc, out, err, reason = _python(code)
    assert "started" in out, err
    time.sleep(1)
    survivors = [p.pid for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert survivors == []


@needs_bwrap
def test_watchdog_stops_a_memory_bomb_and_an_endless_loop():
    """Are the memory and wall-clock limits enforced, and does the result say which one?"""
    started = time.monotonic()
    _, _, _, reason = _python("blocks = []\nwhile True:\n    blocks.append(b'x' * 2**26)", limits=Limits(60, 400))
    assert reason and reason.startswith("memory") and time.monotonic() - started < 30
    started = time.monotonic()
    _, _, _, reason = _python("while True:\n    pass", limits=Limits(3, 4096))
    assert reason and reason.startswith("time") and time.monotonic() - started < 15


@needs_bwrap
def test_tmpfs_counts_against_memory_and_is_bounded():
    """Item 7 of #19: does filling /tmp (a tmpfs, so memory) hit the memory limit, and can /tmp never outgrow it?"""
    started = time.monotonic()
    code = """
        import time
        with open('/tmp/fill', 'wb') as fh:
            for _ in range(14):
                fh.write(b'x' * 2**24)
                fh.flush()
        ram = b'y' * 100 * 2**20  # 224 MiB in /tmp + 100 MiB resident: neither alone is over 300
        print('wrote 224 MiB')
        time.sleep(10)
    """
    _, out, err, reason = _python(code, limits=Limits(60, 300))
    assert reason and reason.startswith("memory"), (out, err)
    assert time.monotonic() - started < 20
    rc, out, err, _ = _python("open('/tmp/fill', 'wb').write(b'x' * 300 * 2**20)", limits=Limits(60, 100_000, 100_000))
    assert rc == 0, err
    size = sbx.DEFAULT_DISK_MB
    rc, out, err, _ = _python(
        "import os\nst = os.statvfs('/tmp')\nprint(st.f_blocks * st.f_frsize // 2**20)", limits=Limits(60, 512)
    )
    assert int(out.split()[-1]) <= 512 < size


@needs_bwrap
def test_a_file_larger_than_the_disk_limit_cannot_be_written():
    """Item 7 of #19: does RLIMIT_FSIZE stop one file from growing past the disk limit (EFBIG)?"""
    code = """
        try:
            open('/tmp/big', 'wb').write(b'x' * 50 * 2**20)
            print('WROTE')
        except OSError as err:
            print('REFUSED', err.errno)
    """
    rc, out, err, _ = _python(code, limits=Limits(60, 1024, 20))
    assert "REFUSED 27" in out, (out, err)  # EFBIG


@needs_bwrap
def test_too_many_processes_are_stopped():
    """Item 7 of #19: is a sandbox with more processes than its limit stopped, and the reason named?"""
    code = """
        import subprocess, sys, time
        children = [subprocess.Popen(['sleep', '30']) for _ in range(40)]
        time.sleep(30)
    """
    started = time.monotonic()
    _, _, err, reason = _python(code, limits=Limits(60, 2048, 1024, 20))
    assert reason and reason.startswith("processes"), err
    assert time.monotonic() - started < 20


@needs_bwrap
def test_the_grader_keeps_a_bounded_part_of_a_huge_output():
    """Item 9 of #19: does the grader keep at most its cap of a process's stdout and stderr, however much it writes?"""
    code = """
        import os, sys
        line = b'y' * 2**20 + b'\\n'
        for _ in range(300):
            os.write(1, line)
            os.write(2, line)
        print('RESULT kept')
    """
    import tracemalloc

    tracemalloc.start()
    rc, out, err, _ = run_sandboxed([sys.executable, "-c", textwrap.dedent(code)], Sandbox(), Limits(120, 2048),
                                    max_stdout=8 * 2**20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rc == 0
    assert len(out) <= 8 * 2**20 and len(err) <= MAX_STDERR_BYTES
    assert peak < 64 * 2**20  # 300 MiB went through; the grader never held it


@needs_bwrap
def test_artifact_is_mounted_read_only(tmp_path):
    """Can a verifier read the handed-in file but not change it?"""
    artifact = tmp_path / "model.keras"
    artifact.write_bytes(b"model bytes")
    code = """
        import sys
        print(open("/grading/model.keras", "rb").read().decode())
        try:
            open("/grading/model.keras", "ab")
            print("writable")
        except OSError as err:
            print(err.strerror)
    """
    rc, out, err, reason = _python(code, read_only=[(str(artifact), "/grading/model.keras")])
    assert out.split("\n")[:2] == ["model bytes", "Read-only file system"], err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an ordinary user")
@needs_bwrap
def test_sandbox_works_for_an_ordinary_user(monkeypatch):
    """Does the same bwrap command line run for an unprivileged grading account (user namespaces)?"""
    monkeypatch.setattr(sbx, "python_paths", lambda: [])  # /root (the test's Python) is not readable by nobody
    monkeypatch.setattr(sbx, "data_paths", lambda: [])
    cmd = Sandbox().command(["/bin/sh", "-c", "id -u; test -e /etc/shadow && echo shadow || echo no-shadow"], env={})
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0 and "namespace" in proc.stderr.lower():
        pytest.skip(f"user namespaces are not available to ordinary users here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1000", "no-shadow"]


def test_only_regular_artifact_files_are_copied_back(tmp_path):
    """Are links and odd names left behind when handed-in models leave the sandbox?"""
    work, target = tmp_path / "work", tmp_path / "target"
    (work / ".grading_artifacts").mkdir(parents=True)
    target.mkdir()
    (work / ".grading_artifacts" / "test_cnn_accuracy.keras").write_bytes(b"model")
    (work / ".grading_artifacts" / "notes.txt").write_text("not a model")
    os.symlink("/etc/hostname", work / ".grading_artifacts" / "stolen.keras")
    assert copy_back_artifacts(str(work), str(target)) == 1
    assert sorted(os.listdir(target / ".grading_artifacts")) == ["test_cnn_accuracy.keras"]
