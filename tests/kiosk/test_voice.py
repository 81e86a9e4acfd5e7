"""Voice prompts: espeak-ng (Debian ``espeak-ng``) says a resident prompt in Indonesian."""

from __future__ import annotations

import array
import shutil
import time
import wave
from pathlib import Path

import pytest

from ektp.i18n import translate
from kiosk.config.voice import VoiceConfig
from kiosk.voice import EspeakSpeaker

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

PROMPT = "Enter your NIK (16 digits, on your KK)"


def loudest_sample(path: Path) -> tuple[int, float]:
    with wave.open(str(path)) as audio:
        assert audio.getsampwidth() == 2
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / audio.getframerate()
    samples = array.array("h", frames)
    return max(abs(s) for s in samples), seconds


def test_an_indonesian_prompt_renders_to_audible_speech(tmp_path: Path) -> None:
    text = translate(PROMPT, "id", domain="kiosk")
    assert text != PROMPT
    wav = EspeakSpeaker().render_wav(text, "id", tmp_path / "nik.wav")
    peak, seconds = loudest_sample(wav)
    assert seconds > 1.0  # a sentence, not a click
    assert peak > 1000  # not silence


def test_the_indonesian_voice_differs_from_english(tmp_path: Path) -> None:
    speaker = EspeakSpeaker()
    text = "Masukkan NIK Anda"
    indonesian = speaker.render_wav(text, "id", tmp_path / "id.wav").read_bytes()
    english = speaker.render_wav(text, "en", tmp_path / "en.wav").read_bytes()
    assert indonesian != english


def test_voice_is_off_unless_the_office_turns_it_on() -> None:
    speaker = EspeakSpeaker()
    speaker.say("Selamat datang", "id")
    assert not speaker.speaking


def test_a_new_prompt_cuts_the_one_still_playing(tmp_path: Path) -> None:
    # This machine has no sound card (espeak-ng exits at once when it cannot play), so a
    # stand-in "speech program" keeps playing until stopped and records what it heard.
    heard = tmp_path / "heard.txt"
    player = tmp_path / "player"
    player.write_text(f"#!/bin/sh\ncat >> {heard}; echo >> {heard}; exec sleep 30\n")
    player.chmod(0o755)
    speaker = EspeakSpeaker(VoiceConfig(enabled=True, program=str(player)))

    def wait_heard(lines: int) -> list[str]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if heard.exists() and heard.read_text().count("\n") >= lines:
                break
            time.sleep(0.02)
        return heard.read_text().splitlines() if heard.exists() else []

    speaker.say("Selamat datang", "id")
    first = speaker._current
    assert first is not None
    assert wait_heard(1) == ["Selamat datang"]
    assert speaker.speaking  # still "playing": say() did not wait for it
    speaker.say("Masukkan NIK Anda", "id")
    assert first.poll() is not None  # the first prompt was stopped
    assert wait_heard(2) == ["Selamat datang", "Masukkan NIK Anda"]
    assert speaker.speaking
    speaker.stop()
    assert not speaker.speaking
