"""Demo recurring series (idempotent): filled in below."""

from collections.abc import Callable


def load_demo(say: Callable[[str], None]) -> None:
    say("recurring: nothing yet")
