"""Config flow for Future Fish: one config entry per MQTT topic prefix."""

from collections.abc import Mapping
import math
from typing import Any, Final, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import probatio

from .alarms import QUANTITIES, Quantity, margin_option
from .ammonia import DEFAULT_AMMONIA_READING, AmmoniaReading
from .commands import COMPLETION_TIMEOUT_OPTIONS
from .const import (
    CONF_ACK_TIMEOUT,
    CONF_ADD_NEW_CONTROLLERS,
    CONF_ALARM_READINGS,
    CONF_ALARM_SECONDS,
    CONF_ALLOW_HTTP_FIRMWARE,
    CONF_AMMONIA_READING,
    CONF_FIRMWARE_MANIFEST_URL,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_MAX_CONTROLLERS,
    CONF_PREFIX,
    CONF_PUSH_LIMITS,
    CONF_RETRIES,
    DEFAULT_ACK_TIMEOUT,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_ALARM_READINGS,
    DEFAULT_ALARM_SECONDS,
    DEFAULT_ALLOW_HTTP_FIRMWARE,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_CONTROLLERS,
    DEFAULT_PREFIX,
    DEFAULT_PUSH_LIMITS,
    DEFAULT_RETRIES,
    DOMAIN,
    MAX_HEARTBEAT_TIMEOUT,
    MAX_MAX_CONTROLLERS,
    MIN_HEARTBEAT_TIMEOUT,
    MIN_MAX_CONTROLLERS,
)
from .context import hand_over_discovery
from .protocol import (
    PLAUSIBLE_RANGES,
    MessageKind,
    firmware_url_error,
    split_topic,
    subscription_topic,
)

MAX_PREFIX_LENGTH: Final = 100

# Bounds of the command deadlines in the options, in seconds. Resends
# (commands.RETRY_GAPS: at 2, 5 and 9 s) happen only before the acknowledgement
# deadline, so a short one means fewer resends; two minutes is far beyond any broker
# round trip. A completion deadline of a day covers the slowest fill of a large pond.
MIN_ACK_TIMEOUT: Final = 2
MAX_ACK_TIMEOUT: Final = 120
MIN_COMPLETION_TIMEOUT: Final = 10
MAX_COMPLETION_TIMEOUT: Final = 86400
# Alarm debounce bounds: one reading means no debounce; an hour is as long as any
# alarm may reasonably wait. A hysteresis margin of more than a tenth of a reading's
# range would keep an alarm on long after the water is fine again.
MIN_ALARM_READINGS: Final = 1
MAX_ALARM_READINGS: Final = 100
MIN_ALARM_SECONDS: Final = 1
MAX_ALARM_SECONDS: Final = 3600
MAX_MARGIN_SHARE: Final = 0.1

# The collapsible sections of the options form. Their values are stored flat in the
# entry's options (the hub reads options["ack_timeout"], not a nested dict).
SECTION_COMMANDS: Final = "commands"
SECTION_FIRMWARE: Final = "firmware"
SECTION_ALARMS: Final = "alarms"
SECTION_HYSTERESIS: Final = "hysteresis"
_SECTIONS: Final = (
    SECTION_COMMANDS,
    SECTION_FIRMWARE,
    SECTION_ALARMS,
    SECTION_HYSTERESIS,
)

# The topics manifest.json lets the MQTT integration watch for discovery. Only the
# startup a controller sends once per boot: the MQTT integration starts a task and a
# config flow for every message on these topics whose payload differs from the last
# one, and heartbeats and sensors always differ, so listing them cost every fleet a
# flow per message for as long as Home Assistant runs, several times the cost of
# handling the message itself.
DISCOVERY_TOPICS: Final = frozenset(
    {subscription_topic(DEFAULT_PREFIX, MessageKind.STARTUP)}
)

# An MQTT entry in one of these states is, or is about to be, usable.
_MQTT_USABLE_STATES: Final = (
    ConfigEntryState.LOADED,
    ConfigEntryState.SETUP_IN_PROGRESS,
)


class _WholeNumberSelector(NumberSelector):
    """A number selector for whole numbers (seconds, a count) that returns an int.

    The plain number selector returns a float and lets NaN through (NaN is neither
    below the minimum nor above the maximum); these options are read as ints.
    """

    @override
    def __call__(self, data: Any) -> int:
        value = super().__call__(data)
        if not value.is_integer():
            raise probatio.Invalid(f"{value} is not a whole number")
        return int(value)


def _seconds(minimum: int, maximum: int) -> _WholeNumberSelector:
    """Return a selector for whole seconds between `minimum` and `maximum`."""
    return _WholeNumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


class _FiniteSelector(NumberSelector):
    """A number selector that refuses NaN and infinity (which pass its bounds)."""

    @override
    def __call__(self, data: Any) -> float:
        value: float = super().__call__(data)
        if not math.isfinite(value):
            raise probatio.Invalid(f"{value} is not a number")
        return value


def _margin(quantity: Quantity) -> _FiniteSelector:
    """Return the selector of a quantity's hysteresis margin, in its unit."""
    config = NumberSelectorConfig(
        min=0,
        max=(PLAUSIBLE_RANGES[quantity.reading].maximum or 0) * MAX_MARGIN_SHARE,
        # Not the limits' step: the selector refuses steps below 0.001 (ammonia).
        step="any",
        mode=NumberSelectorMode.BOX,
    )
    if quantity.unit is not None:
        config["unit_of_measurement"] = quantity.unit
    return _FiniteSelector(config)


_HEARTBEAT_TIMEOUT_SELECTOR: Final = _seconds(
    MIN_HEARTBEAT_TIMEOUT, MAX_HEARTBEAT_TIMEOUT
)
_MAX_CONTROLLERS_SELECTOR: Final = _WholeNumberSelector(
    NumberSelectorConfig(
        min=MIN_MAX_CONTROLLERS,
        max=MAX_MAX_CONTROLLERS,
        step=1,
        mode=NumberSelectorMode.BOX,
    )
)

_PREFIX_SCHEMA: Final = probatio.Schema(
    {probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): TextSelector()}
)
_USER_SCHEMA: Final = _PREFIX_SCHEMA.extend(
    {
        probatio.Required(
            CONF_HEARTBEAT_TIMEOUT, default=DEFAULT_HEARTBEAT_TIMEOUT
        ): _HEARTBEAT_TIMEOUT_SELECTOR
    }
)
_COMMANDS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(CONF_ACK_TIMEOUT, default=DEFAULT_ACK_TIMEOUT): _seconds(
            MIN_ACK_TIMEOUT, MAX_ACK_TIMEOUT
        ),
        probatio.Required(CONF_RETRIES, default=DEFAULT_RETRIES): BooleanSelector(),
        # One completion deadline per group of commands, in the tracker's order.
        **{
            probatio.Required(key, default=default): _seconds(
                MIN_COMPLETION_TIMEOUT, MAX_COMPLETION_TIMEOUT
            )
            for key, (default, _types) in COMPLETION_TIMEOUT_OPTIONS.items()
        },
    }
)
_FIRMWARE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(CONF_FIRMWARE_MANIFEST_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        probatio.Required(
            CONF_ALLOW_HTTP_FIRMWARE, default=DEFAULT_ALLOW_HTTP_FIRMWARE
        ): BooleanSelector(),
    }
)
_ALARMS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_ALARM_READINGS, default=DEFAULT_ALARM_READINGS
        ): _WholeNumberSelector(
            NumberSelectorConfig(
                min=MIN_ALARM_READINGS,
                max=MAX_ALARM_READINGS,
                step=1,
                mode=NumberSelectorMode.BOX,
            )
        ),
        probatio.Required(CONF_ALARM_SECONDS, default=DEFAULT_ALARM_SECONDS): _seconds(
            MIN_ALARM_SECONDS, MAX_ALARM_SECONDS
        ),
        probatio.Required(
            CONF_PUSH_LIMITS, default=DEFAULT_PUSH_LIMITS
        ): BooleanSelector(),
        probatio.Required(
            CONF_AMMONIA_READING, default=DEFAULT_AMMONIA_READING.value
        ): SelectSelector(
            SelectSelectorConfig(
                options=[kind.value for kind in AmmoniaReading],
                translation_key=CONF_AMMONIA_READING,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
)
# One margin per monitored quantity, in the alarms' table order.
_HYSTERESIS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(margin_option(reading), default=quantity.margin): _margin(
            quantity
        )
        for reading, quantity in QUANTITIES.items()
    }
)
# Option key -> section, for every option that is shown inside a section.
_SECTION_OF: Final[Mapping[str, str]] = {
    str(key): name
    for name, schema in (
        (SECTION_COMMANDS, _COMMANDS_SCHEMA),
        (SECTION_FIRMWARE, _FIRMWARE_SCHEMA),
        (SECTION_ALARMS, _ALARMS_SCHEMA),
        (SECTION_HYSTERESIS, _HYSTERESIS_SCHEMA),
    )
    for key in schema.schema
}


def _options_schema(*, expand_firmware: bool = False) -> probatio.Schema:
    """Return the options form; its sections start collapsed unless told otherwise."""
    return probatio.Schema(
        {
            probatio.Required(
                CONF_HEARTBEAT_TIMEOUT, default=DEFAULT_HEARTBEAT_TIMEOUT
            ): _HEARTBEAT_TIMEOUT_SELECTOR,
            probatio.Required(
                CONF_ADD_NEW_CONTROLLERS, default=DEFAULT_ADD_NEW_CONTROLLERS
            ): BooleanSelector(),
            probatio.Required(
                CONF_MAX_CONTROLLERS, default=DEFAULT_MAX_CONTROLLERS
            ): _MAX_CONTROLLERS_SELECTOR,
            probatio.Required(SECTION_COMMANDS): section(
                _COMMANDS_SCHEMA, {"collapsed": True}
            ),
            probatio.Required(SECTION_FIRMWARE): section(
                _FIRMWARE_SCHEMA, {"collapsed": not expand_firmware}
            ),
            probatio.Required(SECTION_ALARMS): section(
                _ALARMS_SCHEMA, {"collapsed": True}
            ),
            probatio.Required(SECTION_HYSTERESIS): section(
                _HYSTERESIS_SCHEMA, {"collapsed": True}
            ),
        }
    )


def normalize_prefix(raw: str) -> str | None:
    """Return a topic prefix without surrounding whitespace, or None if it is invalid.

    A valid prefix is one or more non-empty topic levels: no leading, trailing or
    doubled `/`, no MQTT wildcard (`+`, `#`), no whitespace, NUL or other
    non-printable character, and at most `MAX_PREFIX_LENGTH` characters.

    Args:
        raw: The prefix as the user typed it.

    Returns:
        The prefix to subscribe under, or None when it cannot be one.
    """
    prefix = raw.strip()
    if (
        not prefix
        or len(prefix) > MAX_PREFIX_LENGTH
        or prefix.startswith("/")
        or prefix.endswith("/")
        or "//" in prefix
        # isprintable() is False for whitespace other than " ", NUL and controls.
        or not prefix.isprintable()
        or any(char in prefix for char in "+# ")
    ):
        return None
    return prefix


def _nest(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return flat options in the shape of the options form, with its sections."""
    nested: dict[str, Any] = {name: {} for name in _SECTIONS}
    for key, value in options.items():
        if key in _SECTION_OF:
            nested[_SECTION_OF[key]][key] = value
        else:
            nested[key] = value
    return nested


def _flatten(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the submitted options form as flat options."""
    flat: dict[str, Any] = {}
    for key, value in user_input.items():
        if key in _SECTIONS:
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _discovered_prefix(discovery_info: MqttServiceInfo) -> str | None:
    """Return the prefix of a discovered controller message, or None if foreign."""
    if discovery_info.subscribed_topic not in DISCOVERY_TOPICS:
        return None
    parts = split_topic(DEFAULT_PREFIX, discovery_info.topic)
    if parts is None or parts[1] is not MessageKind.STARTUP:
        return None
    return DEFAULT_PREFIX


def _mqtt_configured(hass: HomeAssistant) -> bool:
    """Return whether an enabled MQTT config entry is loaded or being loaded."""
    return any(
        entry.state in _MQTT_USABLE_STATES
        for entry in hass.config_entries.async_entries(
            "mqtt", include_disabled=False, include_ignore=False
        )
    )


def _title(prefix: str) -> str:
    """Return the config entry title for a prefix."""
    return f"Future Fish ({prefix})"


class FutureFishConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Future Fish hub for one MQTT topic prefix."""

    VERSION = 1
    MINOR_VERSION = 1

    # Set by async_step_mqtt, the only way into async_step_mqtt_confirm.
    _discovered: str
    _discovery_info: MqttServiceInfo

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow.

        Args:
            config_entry: The entry whose options are edited.

        Returns:
            A new options flow.
        """
        return FutureFishOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the topic prefix and the heartbeat timeout.

        Args:
            user_input: The submitted form, or None to show it.

        Returns:
            The form, the new entry, or an abort.
        """
        if not _mqtt_configured(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            prefix = normalize_prefix(user_input[CONF_PREFIX])
            if prefix is None:
                errors[CONF_PREFIX] = "invalid_prefix"
            else:
                # The user asked for this prefix: an open discovery offer for it
                # must not block them; creating the entry closes that offer.
                await self.async_set_unique_id(prefix, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                return self._async_create_hub(
                    prefix, int(user_input[CONF_HEARTBEAT_TIMEOUT])
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(_USER_SCHEMA, user_input),
            errors=errors,
        )

    @override
    async def async_step_mqtt(
        self, discovery_info: MqttServiceInfo
    ) -> ConfigFlowResult:
        """Offer a hub for the prefix of a controller message MQTT delivered.

        Args:
            discovery_info: The message on one of the manifest's discovery topics.

        Returns:
            The confirmation form or an abort.
        """
        prefix = _discovered_prefix(discovery_info)
        if prefix is None:
            return self.async_abort(reason="invalid_discovery_info")
        # Every startup starts a flow here (its payload differs from the previous
        # boot's, so MQTT never deduplicates them). Aborting a flow that has a unique
        # ID makes Home Assistant record the message's topic in the matching entry's
        # discovery_keys, i.e. rewrite the entry and its storage for each boot of each
        # controller. So a prefix that has an entry, set up or ignored, aborts before
        # the flow gets a unique ID.
        if any(
            entry.unique_id == prefix
            for entry in self._async_current_entries(include_ignore=True)
        ):
            return self.async_abort(reason="already_configured")
        # Aborts with already_in_progress while an offer for the prefix is open, so
        # a stream of heartbeats opens one offer only.
        await self.async_set_unique_id(prefix)
        self._abort_if_unique_id_configured()
        self._discovered = prefix
        self._discovery_info = discovery_info
        self.context["title_placeholders"] = {"prefix": prefix}
        return await self.async_step_mqtt_confirm()

    async def async_step_mqtt_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user accept a discovered prefix.

        Args:
            user_input: The submitted (empty) form, or None to show it.

        Returns:
            The form or the new entry.
        """
        if user_input is not None:
            # The hub set up for the new entry handles this startup first, so the
            # controller is there without waiting for its next message.
            hand_over_discovery(self.hass, self._discovered, self._discovery_info)
            return self._async_create_hub(self._discovered, DEFAULT_HEARTBEAT_TIMEOUT)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="mqtt_confirm",
            description_placeholders={"prefix": self._discovered},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the topic prefix of an existing hub.

        Args:
            user_input: The submitted form, or None to show it.

        Returns:
            The form or an abort that ends the flow.
        """
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            prefix = normalize_prefix(user_input[CONF_PREFIX])
            if prefix is None:
                errors[CONF_PREFIX] = "invalid_prefix"
            else:
                if prefix != entry.unique_id:
                    await self.async_set_unique_id(prefix)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=prefix,
                    title=_title(prefix),
                    data_updates={CONF_PREFIX: prefix},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _PREFIX_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )

    @callback
    def _async_create_hub(
        self, prefix: str, heartbeat_timeout: int
    ) -> ConfigFlowResult:
        """Create the entry; settings that may change later go into options."""
        return self.async_create_entry(
            title=_title(prefix),
            data={CONF_PREFIX: prefix},
            options={
                CONF_HEARTBEAT_TIMEOUT: heartbeat_timeout,
                CONF_ADD_NEW_CONTROLLERS: DEFAULT_ADD_NEW_CONTROLLERS,
            },
        )


class FutureFishOptionsFlow(OptionsFlowWithReload):
    """Change the settings of a hub; Home Assistant reloads the hub when they change.

    The hub reads its options when it starts, so changed options take effect by a
    reload. The entry must not have an update listener as well (Home Assistant
    refuses that combination).
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the hub, command and firmware settings.

        The form groups the command and firmware settings in sections; the options
        themselves stay flat, so they are nested to be shown and flattened to be
        saved. Options the form does not show are kept.

        Args:
            user_input: The submitted form, or None to show it.

        Returns:
            The form, or the result that stores the new options.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            submitted = _flatten(user_input)
            url: str = submitted.pop(CONF_FIRMWARE_MANIFEST_URL, "").strip()
            if url and (
                error := firmware_url_error(
                    url, allow_http=submitted[CONF_ALLOW_HTTP_FIRMWARE]
                )
            ):
                # Home Assistant's frontend shows errors of the top-level fields
                # only, so an error of a field in a section is the section's.
                errors[SECTION_FIRMWARE] = error
            else:
                if url:
                    submitted[CONF_FIRMWARE_MANIFEST_URL] = url
                kept = {
                    key: value
                    for key, value in self.config_entry.options.items()
                    if key != CONF_FIRMWARE_MANIFEST_URL
                }
                return self.async_create_entry(data=kept | submitted)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(expand_firmware=bool(errors)),
                user_input or _nest(self.config_entry.options),
            ),
            errors=errors,
        )
