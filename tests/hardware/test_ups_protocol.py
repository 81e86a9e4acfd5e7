"""The NUT line parser: any text gives a parsed line or a DeviceProtocolError, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import DeviceProtocolError, PowerSourceError
from hardware.ups.protocol import (
    NutServerError,
    decode_line,
    parse_cmd_line,
    parse_ups_line,
    parse_var_line,
    quote,
    raise_if_error,
    split_words,
)
from hardware.ups.reading import UpsReading

line_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
protocol_like = st.lists(
    st.sampled_from(
        ["VAR", "UPS", "CMD", "ERR", " ", '"', "\\", "dummy", "ups.status", "OL", "x y"]
    ),
    max_size=12,
).map("".join)


@given(st.one_of(line_text, protocol_like))
def test_any_text_is_parsed_or_rejected_as_a_protocol_error(text: str) -> None:
    for parse in (parse_var_line, parse_ups_line, parse_cmd_line):
        try:
            parsed = parse(text)
        except DeviceProtocolError as err:
            failure: DeviceProtocolError | None = err
        else:
            failure = None
            assert all(isinstance(word, str) for word in parsed)
        assert failure is None or failure.device == "ups"


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_are_rejected(raw: bytes) -> None:
    try:
        text = decode_line(raw)
    except DeviceProtocolError:
        return
    assert "\n" not in text.removesuffix("\r")


value_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\r\0"), max_size=80
)
name_text = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N"], include_characters="._-"),
    min_size=1,
    max_size=30,
)


@given(name_text, name_text, value_text)
def test_quoted_values_round_trip(ups: str, var: str, value: str) -> None:
    assert parse_var_line(f"VAR {ups} {var} {quote(value)}") == (ups, var, value)


def test_upsd_escapes_are_understood() -> None:
    assert parse_var_line(r'VAR ups ups.model "Smart \"UPS\" 1500 \\ rack"') == (
        "ups",
        "ups.model",
        'Smart "UPS" 1500 \\ rack',
    )
    assert split_words("BEGIN LIST VAR ups") == ["BEGIN", "LIST", "VAR", "ups"]


def test_err_lines_carry_the_nut_code() -> None:
    with pytest.raises(PowerSourceError) as caught:
        raise_if_error("ERR DATA-STALE")
    assert isinstance(caught.value, NutServerError)
    assert caught.value.code == "DATA-STALE"
    raise_if_error('VAR ups ups.status "OL"')  # not an error: no exception


def test_odd_numbers_are_protocol_errors_and_missing_ones_are_none() -> None:
    with pytest.raises(DeviceProtocolError):
        UpsReading.from_variables("ups", {"ups.status": "OL", "battery.charge": "nan"})
    with pytest.raises(DeviceProtocolError):
        UpsReading.from_variables("ups", {"ups.status": "OL", "battery.runtime": "soon"})
    reading = UpsReading.from_variables("ups", {"ups.status": "OB LB CHRG"})
    assert (reading.charge, reading.runtime_s) == (None, None)
    assert reading.low_battery
    assert reading.on_battery
    assert not reading.on_line
    assert reading.status_text == "OB LB CHRG"
    waiting = UpsReading.from_variables("ups", {"ups.status": "WAIT"})
    assert not waiting.is_known
