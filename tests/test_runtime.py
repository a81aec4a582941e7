"""Tests of course.runtime: TensorFlow starts without C++ noise in a student's notebook."""

import re
import subprocess
import sys

# A C++ log line of TensorFlow/XLA/CUDA: severity letter, date, time, thread, file:line].
CPP_LOG_LINE = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]", re.MULTILINE)

PROGRAM = """
from course.runtime import import_tensorflow
tf = import_tensorflow()
print("devices", len(tf.config.list_physical_devices()), len(tf.config.list_physical_devices("GPU")))
"""


def test_import_and_device_listing_print_no_cpp_notices():
    """Does importing TensorFlow and listing GPUs (as the notebooks do) print no C++ notice such as cuInit's?"""
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("devices ")
    assert not CPP_LOG_LINE.search(out.stderr), out.stderr


def test_cpp_log_pattern_matches_tensorflows_notices():
    """Does the pattern above recognise the notice it exists to catch (so the test above can fail)?"""
    notice = "E0000 00:00:1795943020.648241    5799 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)"
    assert CPP_LOG_LINE.search("some output\n" + notice)
    assert not CPP_LOG_LINE.search("Epoch 1/10\n100/100 - 3s - loss: 0.3")
