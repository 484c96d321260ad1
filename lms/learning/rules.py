"""The completion rules of a course and the limits of a heartbeat report, in one place."""

from dataclasses import dataclass
from datetime import timedelta

from lms.catalog.models import Course

# Reports.
MAX_REPORTS_PER_REQUEST = 50
MAX_RANGES_PER_REPORT = 500
MIN_RATE = 0.25
MAX_RATE = 4.0
MAX_SEQ = 2**31 - 1
# Device clocks drift; a report dated further ahead than this is refused.
MAX_FUTURE_SKEW = timedelta(seconds=60)
# A player's idea of the duration differs a little from the stored one (rounding, re-encodes):
# ends up to this far past the end are clipped to it; further out is refused.
RANGE_END_TOLERANCE_SECONDS = 5.0

# Credit.
COMMUNITY_MAX_CREDIT_RATE = 2.0
HRD_MAX_CREDIT_RATE = 1.0
HRD_MIN_THRESHOLD = 80
# HRD: a range may start this far past the furthest point watched (segment boundaries, a
# keyframe-aligned seek back) and still count.
SEEK_TOLERANCE_SECONDS = 3.0
# A member's credit clock (models.MemberCredit) starts no earlier than this long ago: the
# one carry-over for a late heartbeat or a short network drop replayed in one batch. Two of
# the player's send intervals (SEND_EVERY_MS in player.js, 60 s), so that a report carrying
# a whole interval of watching, sent a little late, is never cut. Longer silences bank
# nothing.
CREDIT_CARRY_SECONDS = 120.0

# Resume from 0 when the stored position is within the last 5 % or the last 10 s.
RESUME_TAIL_SHARE = 0.05
RESUME_TAIL_SECONDS = 10.0

# A member's coverage of one lecture may hold at most this many separate ranges: real viewing
# makes a few dozen (one per seek); thousands only come from a client splitting its reports
# to make every later heartbeat of that row expensive.
MAX_COVERAGE_SPANS = 1000

# Sessions remembered per lecture progress row; older ones are looked up in HeartbeatSession.
MAX_TRACKED_SESSIONS = 8


@dataclass(frozen=True)
class Policy:
    hrd: bool
    threshold: int
    max_credit_rate: float
    real_time_credit: bool
    seek_guard: bool
    daily_cap: int | None


def course_policy(course: Course) -> Policy:
    """Community: coverage ≥ the course threshold (90 % by default), credit up to 2x.

    HRD: the course threshold but never below 80 %, time played faster than 1x credited at real
    time, no credit past the furthest point watched, and the course's daily lecture cap.
    """
    if course.completion_policy == Course.CompletionPolicy.HRD:
        return Policy(
            hrd=True,
            threshold=max(course.completion_threshold, HRD_MIN_THRESHOLD),
            max_credit_rate=HRD_MAX_CREDIT_RATE,
            real_time_credit=True,
            seek_guard=True,
            daily_cap=course.daily_lecture_cap,
        )
    return Policy(
        hrd=False,
        threshold=course.completion_threshold,
        max_credit_rate=COMMUNITY_MAX_CREDIT_RATE,
        real_time_credit=False,
        seek_guard=False,
        daily_cap=None,
    )
