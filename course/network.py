"""A quick, bounded check of whether a download host answers.

Keras and TFDS do not fail fast without a network (``tfds.load`` waits
about 200 s before it gives up), so the data loaders ask here first.
"""

import socket
import threading
from functools import lru_cache


@lru_cache(maxsize=None)
def host_reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    """Tells whether a TCP connection to ``host:port`` opens within ``timeout``.

    Name resolution runs in a helper thread too, so a resolver that hangs
    cannot stall the caller longer than ``timeout`` seconds. The answer is
    cached for the life of the process.

    Args:
        host: Host name.
        port: TCP port.
        timeout: Seconds to wait in all.

    Returns:
        ``True`` when the connection opened.
    """
    result = []

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])
