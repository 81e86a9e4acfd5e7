"""The live photo instruction, said aloud without nagging.

The live guidance changes as the resident moves, several times a second; the voice says
a new instruction at once, but the same sentence again only after ``repeat_s`` seconds.
No Kivy here: the photo screen calls :meth:`GuidanceVoice.say` from its clock callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.voice import Speaker

REPEAT_SAME_S = 6.0
"""The least time before the same instruction is said again."""


class GuidanceVoice:
    """Says instructions through ``speaker``; the same one at most every ``repeat_s``."""

    def __init__(
        self,
        speaker: Speaker,
        *,
        repeat_s: float = REPEAT_SAME_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._speaker = speaker
        self._repeat_s = repeat_s
        self._clock = clock
        self._last: tuple[str, str] | None = None
        self._last_at = 0.0

    def say(self, text: str, lang: str) -> bool:
        """Say ``text`` unless it was said less than ``repeat_s`` ago; True if said."""
        if not text.strip():
            return False
        now = self._clock()
        if self._last == (text, lang) and now - self._last_at < self._repeat_s:
            return False
        self._last, self._last_at = (text, lang), now
        self._speaker.say(text, lang)
        return True

    def forget(self) -> None:
        """A new resident or a new photo screen: the next instruction is said at once."""
        self._last = None
