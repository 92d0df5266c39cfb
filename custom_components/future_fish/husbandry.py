"""Each pond's stock, daily ration and feeding hold, in Home Assistant.

The pure models decide (stock.py, rations.py, feeding_hold.py); this shell keeps each
pond's stock ledger across restarts (batched writes), follows what the decisions
depend on (the controller's readings and oxygen limit, the dawn forecast, the sun,
the feed given today) and publishes them on the pond's state for its entities. Farm
records and the hold turning on or off are events, which the logbook shows.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Final, TypedDict

from homeassistant.const import SUN_EVENT_SUNRISE
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import (
    async_track_sunrise,
    async_track_sunset,
    async_track_time_change,
)
from homeassistant.helpers.sun import get_astral_event_next
from homeassistant.util import dt as dt_util

from .ammonia import UNIONISED_AMMONIA, AmmoniaReading
from .const import DOMAIN, EVENT_FEEDING
from .context import HubContext
from .dawn import night_at, oxygen_crash_expected, oxygen_lower_limit
from .feeding_hold import PondConditions, hold_reasons
from .models import (
    AVAILABILITY,
    DAWN_OXYGEN,
    DISSOLVED_OXYGEN_LOWER,
    FEED_GIVEN_TODAY,
    FEEDING_RATE,
    FEEDINGS_TODAY,
    POND_SPECIES,
    SPECIES_PROFILE,
    STOCK,
    SURFACE_AREA,
    TANK_DEPTH,
    ControllerState,
    FeedingAdvice,
    PondState,
)
from .protocol import Reading
from .rations import FeedingInputError, daily_ration, feeding_rate, portion
from .species import Profile
from .stock import Density, Stock
from .storage import StoredComponent

# Records are rare; a short delay only batches a burst of them.
SAVE_DELAY: Final = 10
# Oxygen is lowest at dawn: no feeding within an hour after sunrise (docs/feeding.md).
AFTER_SUNRISE: Final = timedelta(hours=1)
_GRAMS_PER_KG: Final = 1000.0
_CM_PER_M: Final = 100.0

type AddListeners = Callable[
    [Callable[[ControllerState], None], Callable[[PondState], None]], CALLBACK_TYPE
]


class FeedingEvent(StrEnum):
    """What a feeding event (`future_fish_feeding`) tells the logbook."""

    HOLD_ON = "hold_on"
    HOLD_OFF = "hold_off"
    FEED_REFUSED = "feed_refused"
    HOLD_OVERRIDDEN = "hold_overridden"
    RESTOCK = "restock"
    SAMPLE = "sample"
    MORTALITY = "mortality"
    HARVEST = "harvest"


class StoredPond(TypedDict):
    """One pond's species choice and stock ledger."""

    species: str | None
    stock: dict[str, Any] | None


class StoredStock(TypedDict):
    """The stock's storage file."""

    ponds: dict[str, StoredPond]


@callback
def async_fire_feeding_event(
    hass: HomeAssistant,
    pond: PondState,
    kind: FeedingEvent,
    context: Context | None = None,
    **details: Any,
) -> None:
    """Tell the logbook (and automations) about a record or the hold of a pond."""
    hass.bus.async_fire(
        EVENT_FEEDING,
        {
            # The device registry id, which the logbook and device pages filter on.
            "device_id": pond.device_entry_id,
            "controller": pond.controller.device_id,
            "pond": pond.position,
            "type": kind.value,
            **details,
        },
        context=context,
    )


def hold_details(pond: PondState) -> list[str]:
    """Return the reasons that hold a pond, sorted, for events and errors."""
    return sorted(reason.value for reason in pond.feeding_hold or ())


def pond_density(pond: PondState) -> Density | None:
    """Return a pond's stocking density from its surface and tank depth, if set."""
    stock = pond.stock
    area: float | None = pond.values.get(SURFACE_AREA)
    if stock is None or area is None:
        return None
    depth: float | None = pond.values.get(TANK_DEPTH)
    volume = None if depth is None else area * depth / _CM_PER_M
    return stock.density(volume, area)


def _not_stocked(pond: PondState) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="pond_not_stocked",
        translation_placeholders={"pond": pond.name},
    )


def _input_invalid(err: FeedingInputError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=err.translation_key,
        translation_placeholders=err.translation_placeholders,
    )


class Husbandry(StoredComponent[StoredStock]):
    """Keeps every pond's stock and works out its ration, portion and hold."""

    def __init__(self, context: HubContext, ammonia: AmmoniaReading) -> None:
        """Prepare the stock of one hub; nothing is loaded or listened to yet."""
        super().__init__(context.hass, f"{context.entry.entry_id}.stock", SAVE_DELAY)
        self._context = context
        # The hold judges un-ionised ammonia (NH3-N), however the probe reports.
        self._ammonia_key = (
            UNIONISED_AMMONIA if ammonia is AmmoniaReading.TAN else Reading.AMMONIA
        )
        self._inputs = (
            Reading.TEMPERATURE,
            Reading.DISSOLVED_OXYGEN,
            self._ammonia_key,
            DISSOLVED_OXYGEN_LOWER,
            DAWN_OXYGEN,
            AVAILABILITY,
            SPECIES_PROFILE,
        )
        self._watched: list[PondState] = []
        self._evening = False
        self._after_sunrise = False

    async def async_load(self, add_listeners: AddListeners) -> None:
        """Bring back the stocks (the hub's ponds must be loaded) and start following."""
        stored = await self._store.async_load()
        saved = {} if stored is None else stored["ponds"]
        for pond in self._ponds():
            if (record := saved.get(pond.device_key)) is not None:
                pond.species = (
                    None if record["species"] is None else Profile(record["species"])
                )
                if record["stock"] is not None:
                    pond.stock = Stock.from_dict(record["stock"])
        self._async_read_sun()
        self._unsubscribe = [
            add_listeners(lambda _: None, self._async_watch),
            async_track_sunrise(self.hass, self._async_sun_moved),
            async_track_sunrise(self.hass, self._async_sun_moved, AFTER_SUNRISE),
            async_track_sunset(self.hass, self._async_sun_moved),
            # Days since stocking turn over at midnight.
            async_track_time_change(
                self.hass, self._async_midnight, hour=0, minute=0, second=0
            ),
        ]

    async def async_stop(self) -> None:
        """Stop following and write the stocks."""
        self._watched.clear()
        await super().async_stop()

    @callback
    def async_forget(self, pond: PondState) -> None:
        """Forget a deleted pond's stock."""
        if pond in self._watched:
            self._watched.remove(pond)
        self._async_schedule_save()

    # --- farm records -----------------------------------------------------------------

    @callback
    def async_record(
        self,
        pond: PondState,
        kind: FeedingEvent,
        context: Context | None,
        *,
        fish: int | None = None,
        weight: float | None = None,
        average_weight: float | None = None,
        on: date | None = None,
    ) -> Stock:
        """Record a restocking, sample, mortality or harvest; log it; return the stock.

        Weights of samples, mortalities and harvests are kilograms; the average
        weight of fish put in is grams, as farms write them.
        """
        stock = pond.stock
        grams = None if weight is None else weight * _GRAMS_PER_KG
        # The actions require what each record needs; a value left out anyway is
        # refused by the stock model as one out of range (0).
        try:
            if kind is FeedingEvent.RESTOCK:
                on = on or dt_util.now().date()
                stock = (
                    Stock.stocked(pond.fish_species, fish or 0, average_weight or 0, on)
                    if stock is None
                    else stock.restock(fish or 0, average_weight or 0, on)
                )
            elif stock is None:
                raise _not_stocked(pond)
            elif kind is FeedingEvent.SAMPLE:
                stock = stock.record_sample(fish or 0, grams or 0)
            elif kind is FeedingEvent.MORTALITY:
                stock = stock.record_mortality(fish or 0, grams)
            else:
                stock = stock.record_harvest(fish, weight)
        except FeedingInputError as err:
            raise _input_invalid(err) from err
        self._async_set_stock(pond, stock)
        async_fire_feeding_event(
            self.hass,
            pond,
            kind,
            context,
            fish=fish,
            weight=weight,
            average_weight=average_weight,
            count=stock.count,
            biomass=stock.biomass,
            fcr=stock.fcr,
        )
        return stock

    @callback
    def async_correct(
        self,
        pond: PondState,
        *,
        count: int | None = None,
        average_weight: float | None = None,
        stocked_on: date | None = None,
    ) -> None:
        """Set a stocked pond's figures by hand (its number and date entities)."""
        if pond.stock is None:
            raise _not_stocked(pond)
        # The entities' ranges keep out what the stock would refuse.
        self._async_set_stock(
            pond,
            pond.stock.corrected(
                count=count, average_weight=average_weight, stocked_on=stocked_on
            ),
        )

    @callback
    def async_set_species(self, pond: PondState, species: Profile | None) -> None:
        """Set the species in a pond; None follows its controller's profile."""
        pond.species = species
        if pond.stock is not None:
            pond.stock = pond.stock.with_species(pond.fish_species)
        self._async_schedule_save()

    @callback
    def async_record_feed(self, pond: PondState, grams: float) -> None:
        """Count a completed feed in the pond's feed since stocking."""
        if pond.stock is not None and grams > 0:
            self._async_set_stock(pond, pond.stock.record_feed(grams))

    @callback
    def _async_set_stock(self, pond: PondState, stock: Stock) -> None:
        pond.stock = stock
        self._async_schedule_save()

    # --- ration, portion and hold -------------------------------------------------------

    @callback
    def _async_watch(self, pond: PondState) -> None:
        update = partial(self._async_update, pond)
        self._watched.append(pond)
        self._unsubscribe += (
            pond.async_listen(
                (STOCK, POND_SPECIES, FEEDING_RATE, FEED_GIVEN_TODAY, FEEDINGS_TODAY),
                update,
            ),
            pond.controller.async_listen(self._inputs, update),
        )
        update()

    @callback
    def _async_update(self, pond: PondState) -> None:
        stock = pond.stock
        pond.days_since_stocking = (
            None if stock is None else stock.days_since_stocking(dt_util.now().date())
        )
        pond.feeding_advice = self._advice(pond)
        before = pond.feeding_hold
        pond.feeding_hold = hold_reasons(pond.fish_species, self._conditions(pond))
        # Not when first worked out (a start): only a change is news.
        if before is not None and bool(before) != bool(pond.feeding_hold):
            async_fire_feeding_event(
                self.hass,
                pond,
                FeedingEvent.HOLD_ON if pond.feeding_hold else FeedingEvent.HOLD_OFF,
                reasons=hold_details(pond),
            )

    def _advice(self, pond: PondState) -> FeedingAdvice | None:
        stock = pond.stock
        temperature: float | None = pond.controller.values.get(Reading.TEMPERATURE)
        if stock is None or temperature is None:
            return None
        rate = feeding_rate(
            pond.fish_species,
            stock.average_weight,
            temperature,
            pond.values.get(FEEDING_RATE),
        )
        if rate.rate is None:
            return FeedingAdvice(rate=rate, ration=None, portion=None)
        ration = daily_ration(stock.biomass, rate.rate)
        return FeedingAdvice(
            rate=rate,
            ration=ration,
            portion=(
                None
                if rate.feedings_per_day is None
                else portion(
                    ration,
                    rate.feedings_per_day,
                    pond.feed_given_today,
                    pond.feedings_today,
                )
            ),
        )

    def _conditions(self, pond: PondState) -> PondConditions:
        controller = pond.controller
        values = controller.values
        return PondConditions(
            dissolved_oxygen=values.get(Reading.DISSOLVED_OXYGEN),
            water_temperature=values.get(Reading.TEMPERATURE),
            unionised_ammonia=values.get(self._ammonia_key),
            # The controller's probe serves both ponds: its alarm limit is theirs.
            oxygen_limit=oxygen_lower_limit(controller),
            crash_expected_tonight=bool(oxygen_crash_expected(controller)),
            evening=self._evening,
            after_sunrise=self._after_sunrise,
            controller_online=controller.online,
        )

    @callback
    def _async_read_sun(self) -> None:
        """Work out whether it is night and whether the sun rose within the hour.

        The forecast only speaks between sunset and sunrise, so a feed then is the
        evening feed its crash warning is about.
        """
        now = dt_util.utcnow()
        self._evening = night_at(self.hass, now)[0] is not None
        try:
            sunrise = get_astral_event_next(
                self.hass, SUN_EVENT_SUNRISE, now - AFTER_SUNRISE
            )
        except ValueError:
            # No sunrise within a year: a pole.
            self._after_sunrise = False
        else:
            self._after_sunrise = sunrise <= now

    @callback
    def _async_sun_moved(self) -> None:
        self._async_read_sun()
        self._async_update_all()

    @callback
    def _async_midnight(self, _: datetime) -> None:
        self._async_update_all()

    @callback
    def _async_update_all(self) -> None:
        for pond in self._watched:
            self._async_update(pond)

    # --- storage ----------------------------------------------------------------------

    def _ponds(self) -> list[PondState]:
        return [
            pond
            for controller in self._context.controllers.values()
            for pond in controller.ponds.values()
        ]

    def _stored_data(self) -> StoredStock:
        return {
            "ponds": {
                pond.device_key: {
                    "species": pond.species,
                    "stock": None if pond.stock is None else pond.stock.as_dict(),
                }
                for pond in self._ponds()
                if pond.species is not None or pond.stock is not None
            }
        }
