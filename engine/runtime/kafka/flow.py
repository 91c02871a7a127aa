"""When the run stops reading for a while: too many records waiting for the brokers'
acknowledgement (they are slow or away: the loop must never block on them), or a commit
due as soon as they are acknowledged (the committer is behind)."""

from __future__ import annotations

# Reading pauses above this many unacknowledged records and resumes below the low mark.
PAUSE_OUTSTANDING, RESUME_OUTSTANDING = 200_000, 50_000


class FlowControl:
    def __init__(self) -> None:
        self.paused = False

    def throttle(self, consumer, outstanding: int, hold: bool) -> None:
        if hold or (not self.paused and outstanding > PAUSE_OUTSTANDING):
            consumer.pause(consumer.assignment())  # again while held: a new assignment too
            self.paused = True
        elif self.paused and outstanding < RESUME_OUTSTANDING:
            consumer.resume(consumer.assignment())
            self.paused = False

    def on_assigned(self, consumer, partitions: list) -> None:
        """Partitions keep their paused flag across a loss and a new assignment: a new
        assignment starts reading (the loop pauses it again if it must)."""
        consumer.resume(partitions)
        self.paused = False
