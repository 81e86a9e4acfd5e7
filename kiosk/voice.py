"""Voice prompts for residents who cannot read: ``espeak-ng`` says the screen's prompt.

Off by default; an office switches it on (``VoiceConfig.enabled``). Speaking never
blocks the caller: :meth:`EspeakSpeaker.say` starts ``espeak-ng`` as a child process
and returns; a new prompt stops the one still playing. The text goes in on standard
input, so nothing a screen shows can be read as a command-line option.
Debian package: ``espeak-ng`` (voices ``id`` for Bahasa Indonesia, ``en``).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol

from kiosk.config.voice import VoiceConfig
from kiosk.errors import KioskFault

log = logging.getLogger(__name__)


class Speaker(Protocol):
    def say(self, text: str, lang: str) -> None:
        """Start saying ``text`` in ``lang``; return at once."""
        ...

    def stop(self) -> None:
        """Stop whatever is being said."""
        ...


class SpeechError(KioskFault, RuntimeError):
    """espeak-ng is missing or failed to render (only from :meth:`EspeakSpeaker.render_wav`)."""

    code = "speech"


class EspeakSpeaker:
    """Says prompts through espeak-ng, one at a time, without blocking."""

    def __init__(self, config: VoiceConfig | None = None) -> None:
        self.config = config or VoiceConfig()
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    def command(self, lang: str, wav: Path | None = None) -> list[str]:
        """The espeak-ng command line for ``lang`` (text comes on standard input)."""
        program = shutil.which(self.config.program)
        if program is None:
            raise SpeechError(f"{self.config.program} is not installed")
        voice = self.config.voices.get(lang, lang)
        args = [program, "-v", voice, "-s", str(self.config.words_per_minute)]
        args += ["-a", str(self.config.volume), "--stdin"]
        if wav is not None:
            args += ["-w", str(wav)]
        return args

    def say(self, text: str, lang: str) -> None:
        if not self.enabled or not text.strip():
            return
        try:
            args = self.command(lang)
        except SpeechError as err:
            if not self._warned:
                log.warning("voice prompts are on but cannot play: %s", err)
                self._warned = True
            return
        with self._lock:
            self._stop_locked()
            try:
                process = subprocess.Popen(  # fixed program; the text goes on stdin
                    args,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as err:
                log.warning("voice prompt failed to start: %s", err)
                return
            assert process.stdin is not None
            try:
                process.stdin.write(text.encode("utf-8"))
                process.stdin.close()
            except OSError:
                process.kill()
                return
            self._current = process

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._current is not None and self._current.poll() is None

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        process, self._current = self._current, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def render_wav(self, text: str, lang: str, path: Path, timeout: float = 20.0) -> Path:
        """Render ``text`` to a WAV file (blocking); for checks and tests, works when off."""
        try:
            subprocess.run(  # fixed program; the text goes on stdin
                self.command(lang, wav=path),
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=True,
            )
        except (subprocess.SubprocessError, OSError) as err:
            raise SpeechError(f"espeak-ng could not render the prompt: {err}") from err
        return path
