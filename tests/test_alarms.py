"""The alarm state machine: debounce by readings and by time, hysteresis, unknown."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.future_fish.alarms import (
    CONTROLLER_QUANTITIES,
    POND_QUANTITIES,
    QUANTITIES,
    THRESHOLD_PARAMETERS,
    Alarm,
    AlarmSettings,
    Bound,
    Limits,
    alarm_key,
    alarm_reading,
    controller_alarm_watch,
    limit_key,
    margin_option,
)
from custom_components.future_fish.const import CONF_ALARM_READINGS, CONF_ALARM_SECONDS
from custom_components.future_fish.protocol import ControllerAlarm, Reading

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
CYCLE = timedelta(seconds=30)


def make_alarm(
    lower: float | None = 5.0,
    upper: float | None = None,
    *,
    readings: int = 3,
    seconds: float = 30,
    margin: float = 0.3,
) -> Alarm:
    """Return a dissolved-oxygen alarm with the deployed defaults unless told."""
    return Alarm(
        Reading.DISSOLVED_OXYGEN,
        Limits(lower, upper),
        readings=readings,
        duration=timedelta(seconds=seconds),
        margin=margin,
    )


def feed(alarm: Alarm, values: list[float | None], start: datetime = T0) -> list[bool]:
    """Give the alarm one reading per (fast) cycle; return what each changed."""
    return [
        alarm.update(value, start + index * timedelta(seconds=1))
        for index, value in enumerate(values)
    ]


# --- debounce by readings ------------------------------------------------------------------


def test_unknown_until_a_reading_decides() -> None:
    """A new alarm knows nothing; the first reading inside makes it off."""
    alarm = make_alarm()
    assert alarm.is_on is None
    assert alarm.deadline is None

    assert alarm.update(6.8, T0) is True
    assert (alarm.is_on, alarm.value, alarm.since, alarm.bound) == (
        False,
        6.8,
        T0,
        None,
    )
    # Further readings inside change nothing a user sees.
    assert feed(alarm, [6.7, 6.9, 6.8]) == [False, False, False]
    assert (alarm.value, alarm.since) == (6.8, T0)


def test_on_after_n_consecutive_readings_even_if_equal() -> None:
    """Three readings below the limit, equal or not, turn the alarm on."""
    alarm = make_alarm()
    alarm.update(6.8, T0 - CYCLE)

    assert feed(alarm, [4.0, 4.0, 4.0]) == [False, False, True]
    assert alarm.is_on is True
    assert alarm.bound is Bound.LOWER
    assert alarm.limit == 5.0
    assert alarm.value == 4.0
    # Since when the value has been outside: the first of the three readings.
    assert alarm.since == T0
    assert alarm.deadline is None


def test_a_reading_inside_restarts_the_count() -> None:
    """Two low readings, one fine one, two low ones: never three in a row."""
    alarm = make_alarm()
    alarm.update(6.8, T0 - CYCLE)

    assert feed(alarm, [4.0, 4.0, 5.1, 4.0, 4.0]) == [False] * 5
    assert alarm.is_on is False
    assert alarm.update(4.0, T0 + timedelta(seconds=10)) is True
    assert alarm.since == T0 + timedelta(seconds=3)


def test_one_reading_means_no_debounce() -> None:
    """With N = 1 the first reading outside turns the alarm on."""
    alarm = make_alarm(readings=1)
    assert alarm.update(4.9, T0) is True
    assert alarm.is_on is True


def test_debounce_from_unknown_stays_unknown() -> None:
    """While the first readings after a start are debounced, the alarm says nothing.

    Showing "off" there would claim a safety nobody has checked yet.
    """
    alarm = make_alarm()
    assert feed(alarm, [4.0, 4.0]) == [False, False]
    assert alarm.is_on is None
    assert alarm.update(4.0, T0 + timedelta(seconds=2)) is True
    assert alarm.is_on is True


def test_crossing_to_the_other_limit_starts_a_new_count() -> None:
    """Below the lower limit, then above the upper one: each side counts alone."""
    alarm = make_alarm(lower=6.5, upper=9.0)
    alarm.update(7.0, T0 - CYCLE)
    assert feed(alarm, [6.0, 6.0, 9.5, 9.5]) == [False] * 4
    assert alarm.update(9.5, T0 + timedelta(seconds=4)) is True
    assert (alarm.bound, alarm.since) == (Bound.UPPER, T0 + timedelta(seconds=2))


# --- debounce by time ------------------------------------------------------------------------


def test_on_once_outside_for_the_duration_without_another_reading() -> None:
    """The timer's call turns the alarm on T seconds after the first reading outside."""
    alarm = make_alarm(readings=100, seconds=30)
    alarm.update(6.8, T0 - CYCLE)
    assert alarm.update(4.0, T0) is False
    assert alarm.deadline == T0 + timedelta(seconds=30)

    assert alarm.expire(T0 + timedelta(seconds=29)) is False
    assert alarm.is_on is False
    assert alarm.expire(T0 + timedelta(seconds=30)) is True
    assert (alarm.is_on, alarm.value, alarm.since) == (True, 4.0, T0)
    assert alarm.deadline is None
    # A timer that fires late or twice changes nothing more.
    assert alarm.expire(T0 + timedelta(seconds=60)) is False


def test_a_reading_after_the_duration_turns_it_on() -> None:
    """Slow controllers: the second reading, 30 s after the first, is enough."""
    alarm = make_alarm(readings=3, seconds=30)
    alarm.update(6.8, T0 - CYCLE)
    assert alarm.update(4.0, T0) is False
    assert alarm.update(4.2, T0 + CYCLE) is True
    assert (alarm.value, alarm.since) == (4.2, T0)


def test_back_inside_cancels_the_duration() -> None:
    """A reading inside before the deadline means the timer has nothing to do."""
    alarm = make_alarm(readings=100)
    alarm.update(4.0, T0)
    alarm.update(5.5, T0 + timedelta(seconds=10))
    assert alarm.deadline is None
    assert alarm.expire(T0 + timedelta(seconds=30)) is False
    assert alarm.is_on is False


# --- hysteresis ------------------------------------------------------------------------------


def test_off_only_once_back_inside_by_the_margin() -> None:
    """At 5.0 mg/L with a 0.3 margin, an alarm at 5.2 stays on; 5.3 clears it."""
    alarm = make_alarm(readings=1)
    alarm.update(4.0, T0)

    assert feed(alarm, [5.0, 5.1, 5.29, 4.9], T0 + CYCLE) == [False] * 4
    assert alarm.is_on is True
    assert alarm.update(5.3, T0 + 2 * CYCLE) is True
    assert (alarm.is_on, alarm.value, alarm.since) == (False, 5.3, T0 + 2 * CYCLE)
    # The limit it came back from, for the "off" event.
    assert alarm.bound is Bound.LOWER


def test_upper_limit_hysteresis() -> None:
    """An upper limit clears below the limit minus the margin."""
    alarm = make_alarm(lower=None, upper=9.0, readings=1, margin=0.1)
    alarm.update(9.2, T0)
    assert alarm.update(8.95, T0 + CYCLE) is False
    assert alarm.update(8.9, T0 + 2 * CYCLE) is True
    assert alarm.is_on is False


def test_margin_is_at_most_half_the_band() -> None:
    """A narrow band can still be re-entered: the margin shrinks to half of it."""
    alarm = make_alarm(lower=6.0, upper=6.4, readings=1, margin=1.0)
    alarm.update(5.9, T0)
    assert alarm.update(6.19, T0 + CYCLE) is False
    assert alarm.update(6.2, T0 + 2 * CYCLE) is True


def test_unset_limit_releases_an_alarm() -> None:
    """A limit removed while its alarm is on (a new profile) lets it clear."""
    alarm = make_alarm(lower=17.0, upper=35.0, readings=1)
    alarm.update(15.0, T0)
    alarm.limits = Limits(None, 30.0)
    assert alarm.update(15.0, T0 + CYCLE) is True
    assert (alarm.is_on, alarm.limit) == (False, None)


def test_clearing_beyond_the_other_limit_counts_as_outside() -> None:
    """Impossible jumps stay consistent: below the lower, then above the upper."""
    alarm = make_alarm(lower=6.5, upper=9.0, readings=1)
    alarm.update(6.0, T0)
    assert alarm.update(9.5, T0 + CYCLE) is True
    assert (alarm.is_on, alarm.bound) == (True, Bound.UPPER)


# --- unknown ---------------------------------------------------------------------------------


def test_unknown_value_makes_the_alarm_unknown() -> None:
    """A value that becomes unknown (no geometry) makes the alarm unknown, not off."""
    alarm = make_alarm(readings=1)
    alarm.update(4.0, T0)
    assert alarm.update(None, T0 + CYCLE) is True
    assert (alarm.is_on, alarm.value, alarm.since, alarm.bound) == (
        None,
        None,
        None,
        None,
    )
    assert alarm.update(None, T0 + 2 * CYCLE) is False
    assert alarm.update(6.0, T0 + 3 * CYCLE) is True
    assert alarm.is_on is False


def test_unknown_value_stops_a_debounce() -> None:
    """Readings outside separated by an unknown value are not consecutive."""
    alarm = make_alarm()
    feed(alarm, [6.0, 4.0, 4.0, None, 4.0, 4.0])
    assert alarm.is_on is None
    assert alarm.deadline is not None


# --- properties ------------------------------------------------------------------------------

VALUES = st.lists(
    st.floats(min_value=0, max_value=20, allow_nan=False), min_size=1, max_size=40
)


@given(VALUES)
def test_never_on_without_n_consecutive_readings_outside(values: list[float]) -> None:
    """With a long duration, the alarm turns on exactly at a third reading in a row."""
    alarm = make_alarm(seconds=3600)
    run = 0
    for index, value in enumerate(values):
        was_on = alarm.is_on
        alarm.update(value, T0 + index * timedelta(seconds=1))
        run = run + 1 if value < 5.0 else 0
        if was_on is not True and alarm.is_on:
            assert run == 3


@given(VALUES)
def test_never_on_after_a_reading_inside_by_the_margin(values: list[float]) -> None:
    """Whatever came before, a reading at or above limit + margin leaves it off."""
    alarm = make_alarm(readings=1)
    for index, value in enumerate(values):
        alarm.update(value, T0 + index * timedelta(seconds=1))
        if value >= 5.3:
            assert alarm.is_on is False
        if value < 5.0:
            assert alarm.is_on is True


# --- limits, names and settings ------------------------------------------------------------


def test_limits() -> None:
    """Unset limits have nothing outside them."""
    assert not Limits().is_set
    assert Limits(None, 1).is_set
    limits = Limits(6.5, 9.0)
    assert (limits[Bound.LOWER], limits[Bound.UPPER]) == (6.5, 9.0)
    assert [limits.crossed(v) for v in (6.4, 6.5, 9.0, 9.1)] == [
        Bound.LOWER,
        None,
        None,
        Bound.UPPER,
    ]
    assert Limits().crossed(-1000) is None


def test_quantities_and_keys() -> None:
    """Six quantities per controller, two per pond; the keys others rely on."""
    assert [q.reading for q in CONTROLLER_QUANTITIES] == [
        Reading.TEMPERATURE,
        Reading.DISSOLVED_OXYGEN,
        Reading.PH,
        Reading.TURBIDITY,
        Reading.AMMONIA,
        Reading.BATTERY,
    ]
    assert [q.reading for q in POND_QUANTITIES] == [
        Reading.WATER_LEVEL,
        Reading.FEED_LEVEL,
    ]
    # PROTOCOL 5 names temp, do and ph: only those are pushed.
    assert {q.parameter for q in QUANTITIES.values() if q.pushed} == {
        "temp",
        "do",
        "ph",
    }
    assert THRESHOLD_PARAMETERS == {
        "temp": Reading.TEMPERATURE,
        "do": Reading.DISSOLVED_OXYGEN,
        "ph": Reading.PH,
        "turbidity": Reading.TURBIDITY,
        "ammonia": Reading.AMMONIA,
    }
    assert limit_key(Reading.DISSOLVED_OXYGEN, Bound.LOWER) == (
        "limit_dissolved_oxygen_lower"
    )
    assert margin_option(Reading.PH) == "hysteresis_ph"
    assert alarm_key(Reading.PH) == "ph_alarm"


@pytest.mark.parametrize(
    ("parameter", "reading"),
    [
        ("do", Reading.DISSOLVED_OXYGEN),
        (" DO ", Reading.DISSOLVED_OXYGEN),
        ("dissolved_oxygen", Reading.DISSOLVED_OXYGEN),
        ("temp", Reading.TEMPERATURE),
        ("Temperature", Reading.TEMPERATURE),
        ("ph", Reading.PH),
        ("ammonia", Reading.AMMONIA),
        ("battery", Reading.BATTERY),
        ("water", Reading.WATER_DISTANCE),
        ("feed", Reading.FEED_LEVEL),
        ("salinity", None),
        ("", None),
    ],
)
def test_alarm_reading(parameter: str, reading: Reading | None) -> None:
    """Controllers' alarm parameters in THRESH's short and the readings' long names."""
    assert alarm_reading(parameter) == reading


@pytest.mark.parametrize(
    ("alarm", "watch"),
    [
        (
            ControllerAlarm(parameter="do", value=3.1, lower=4.0),
            (Reading.DISSOLVED_OXYGEN, Limits(4.0, None)),
        ),
        (
            ControllerAlarm(parameter="feed", pond=2, upper=90.0),
            (Reading.FEED_LEVEL, Limits(None, 90.0)),
        ),
        (ControllerAlarm(parameter="do", value=3.1), None),
        (ControllerAlarm(parameter="salinity", lower=1.0), None),
        (ControllerAlarm(lower=1.0, upper=2.0), None),
    ],
)
def test_controller_alarm_watch(
    alarm: ControllerAlarm, watch: tuple[Reading, Limits] | None
) -> None:
    """Only an alarm naming a known reading and a limit can be seen to end."""
    assert controller_alarm_watch(alarm) == watch


def test_settings_from_options() -> None:
    """Defaults are the deployed ones; options override them per quantity."""
    default = AlarmSettings.from_options({})
    assert (default.readings, default.duration) == (3, timedelta(seconds=30))
    assert default.margins == {r: q.margin for r, q in QUANTITIES.items()}

    chosen = AlarmSettings.from_options(
        {CONF_ALARM_READINGS: 5, CONF_ALARM_SECONDS: 90, "hysteresis_ph": 0.2}
    )
    assert (chosen.readings, chosen.duration) == (5, timedelta(seconds=90))
    assert chosen.margins[Reading.PH] == 0.2
    assert chosen.margins[Reading.TEMPERATURE] == 0.5


def test_a_restored_alarm_shows_what_it_showed() -> None:
    """After a restart an alarm shows its state again; it turns off as before."""
    before = make_alarm()
    for second in range(3):
        before.update(4.0, T0 + timedelta(seconds=second))
    state = before.state
    assert state is not None
    assert make_alarm().state is None

    after = make_alarm()
    after.restore(state)
    assert (after.is_on, after.bound, after.value, after.since) == (
        True,
        Bound.LOWER,
        4.0,
        T0,
    )
    assert after.update(4.0, T0 + timedelta(minutes=5)) is False
    assert after.update(5.3, T0 + timedelta(minutes=6)) is True
    assert after.is_on is False
