"""Un-ionised ammonia (NH3-N), the toxic part of what an ammonia probe measures.

The species profiles' ammonia limits are un-ionised ammonia as NH3-N, but most
probes report total ammonia nitrogen (TAN), of which the un-ionised share rises
steeply with pH and temperature. Judging a TAN reading against an NH3-N limit turns
the alarm on at once and forever; so, unless the user says the controllers report
NH3-N, the hub works out NH3-N from the controller's latest TAN, pH and water
temperature and the Ammonia alarm judges that (docs/species.md, "Ammonia probes").
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from homeassistant.core import callback

from .const import CONF_AMMONIA_READING
from .models import ControllerState
from .protocol import Reading


class AmmoniaReading(StrEnum):
    """What the controllers' ammonia reading is (a hub option)."""

    TAN = "tan"
    NH3_N = "nh3_n"


# What most probes, and the simulator, report.
DEFAULT_AMMONIA_READING: Final = AmmoniaReading.TAN
# The controller's un-ionised ammonia in mg/L NH3-N, None while an input is unknown.
UNIONISED_AMMONIA: Final = "unionised_ammonia"
_INPUTS: Final = frozenset({Reading.AMMONIA, Reading.PH, Reading.TEMPERATURE})
# Stored to a tenth of the sensor's displayed precision: finer digits are below any
# probe's accuracy and would only write states that show nothing new.
_DIGITS: Final = 4


def ammonia_reading(options: Mapping[str, Any]) -> AmmoniaReading:
    """Return what a hub's options say the controllers' ammonia reading is."""
    return AmmoniaReading(options.get(CONF_AMMONIA_READING, DEFAULT_AMMONIA_READING))


def unionised_fraction(ph: float, temperature: float) -> float:
    """Return the share of TAN that is un-ionised at a pH and a temperature in °C.

    Emerson et al. (1975), as UF/IFAS FA-16 tabulates it: pKa = 0.09018 +
    2729.92 / T (kelvin), fraction = 1 / (1 + 10^(pKa - pH)).
    """
    pka = 0.09018 + 2729.92 / (temperature + 273.15)
    return 1 / (1 + 10 ** (pka - ph))


def unionised_ammonia(values: Mapping[str, Any]) -> float | None:
    """Return NH3-N in mg/L from the latest TAN, pH and temperature, if all are known."""
    tan: float | None = values.get(Reading.AMMONIA)
    ph: float | None = values.get(Reading.PH)
    temperature: float | None = values.get(Reading.TEMPERATURE)
    if tan is None or ph is None or temperature is None:
        return None
    return round(tan * unionised_fraction(ph, temperature), _DIGITS)


@callback
def async_judged_readings(
    controller: ControllerState, readings: Mapping[str, Any], kind: AmmoniaReading
) -> Mapping[str, Any]:
    """Return a controller's readings as its alarms judge them: ammonia as NH3-N.

    With TAN, a message with any of the three inputs gives a new NH3-N value: it is
    stored for the Un-ionised ammonia sensor (notified only when it changed) and
    replaces the ammonia reading, so that the Ammonia alarm and its attributes
    judge it. The controller's own Ammonia sensor keeps the reading as reported.
    """
    if kind is AmmoniaReading.NH3_N or _INPUTS.isdisjoint(readings):
        return readings
    value = unionised_ammonia(controller.values)
    if controller.values.get(UNIONISED_AMMONIA) != value:
        controller.async_update({UNIONISED_AMMONIA: value})
    return {**readings, Reading.AMMONIA: value}
