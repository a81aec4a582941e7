"""At most N graded submissions per student, per assignment, per hour: a sliding window."""

from typing import Iterable, Optional

WINDOW_SECONDS = 3600.0


def next_slot(started: Iterable[float], now: float, per_hour: int, window: float = WINDOW_SECONDS) -> Optional[float]:
    """When the next submission may be graded.

    Args:
        started: When this student's earlier submissions of this assignment started grading (epoch seconds).
        now: The current time.
        per_hour: Submissions allowed in any window; 0 or less: no limit.
        window: The window's length in seconds.

    Returns:
        ``None`` when one may be graded now, else the first time one may.
    """
    if per_hour <= 0:
        return None
    recent = sorted(t for t in started if now - window < t <= now)
    if len(recent) < per_hour:
        return None
    return recent[-per_hour] + window
