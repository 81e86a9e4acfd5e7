"""The live photo instruction is said at once when it changes, but the same sentence is not
repeated every time the guide judges a frame (no Kivy needed)."""

from __future__ import annotations

from kiosk.ui.spoken_guidance import GuidanceVoice


class Said:
    def __init__(self) -> None:
        self.sentences: list[str] = []

    def say(self, text: str, lang: str) -> None:
        self.sentences.append(f"{lang}:{text}")

    def stop(self) -> None:
        pass


class Seconds:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_same_instruction_waits_a_few_seconds_a_new_one_does_not() -> None:
    said, clock = Said(), Seconds()
    voice = GuidanceVoice(said, repeat_s=6.0, clock=clock)
    for _ in range(10):  # five verdicts a second: two seconds of "come closer"
        voice.say("Maju sedikit", "id")
        clock.now += 0.2
    voice.say("Geser sedikit ke kiri Anda", "id")  # the resident moved: said at once
    clock.now += 1.0
    voice.say("Maju sedikit", "id")  # back: a different sentence from the last one
    clock.now += 6.0
    voice.say("Maju sedikit", "id")  # still not closer after six seconds: said again
    assert said.sentences == [
        "id:Maju sedikit",
        "id:Geser sedikit ke kiri Anda",
        "id:Maju sedikit",
        "id:Maju sedikit",
    ]


def test_a_new_photo_screen_says_the_first_instruction_again() -> None:
    said, clock = Said(), Seconds()
    voice = GuidanceVoice(said, clock=clock)
    voice.say("Maju sedikit", "id")
    voice.forget()  # the next resident stands before the camera
    voice.say("Maju sedikit", "id")
    voice.say("", "id")
    assert said.sentences == ["id:Maju sedikit", "id:Maju sedikit"]
