"""Config flow for Future Fish: one config entry per MQTT topic prefix."""

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
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import probatio

from .const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_PREFIX,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_PREFIX,
    DOMAIN,
    MAX_HEARTBEAT_TIMEOUT,
    MIN_HEARTBEAT_TIMEOUT,
)
from .protocol import MessageKind

MAX_PREFIX_LENGTH: Final = 100

# The topics manifest.json lets the MQTT integration watch for discovery.
DISCOVERY_TOPICS: Final = frozenset(
    f"{DEFAULT_PREFIX}/+/{kind}"
    for kind in (MessageKind.STARTUP, MessageKind.HEARTBEAT, MessageKind.SENSORS)
)

# An MQTT entry in one of these states is, or is about to be, usable.
_MQTT_USABLE_STATES: Final = (
    ConfigEntryState.LOADED,
    ConfigEntryState.SETUP_IN_PROGRESS,
)

_HEARTBEAT_TIMEOUT_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(
        min=MIN_HEARTBEAT_TIMEOUT,
        max=MAX_HEARTBEAT_TIMEOUT,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="s",
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
_OPTIONS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(
            CONF_HEARTBEAT_TIMEOUT, default=DEFAULT_HEARTBEAT_TIMEOUT
        ): _HEARTBEAT_TIMEOUT_SELECTOR,
        probatio.Required(
            CONF_ADD_NEW_CONTROLLERS, default=DEFAULT_ADD_NEW_CONTROLLERS
        ): BooleanSelector(),
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


def _discovered_prefix(discovery_info: MqttServiceInfo) -> str | None:
    """Return the prefix of a discovered controller message, or None if foreign."""
    if discovery_info.subscribed_topic not in DISCOVERY_TOPICS:
        return None
    prefix, _, kind = discovery_info.subscribed_topic.partition("/+/")
    head, tail = f"{prefix}/", f"/{kind}"
    topic = discovery_info.topic
    if not (topic.startswith(head) and topic.endswith(tail)):
        return None
    device_id = topic[len(head) : -len(tail)]
    if not device_id or "/" in device_id:
        return None
    return prefix


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
        # Aborts with already_in_progress while an offer for the prefix is open, so
        # a stream of heartbeats opens one offer only.
        await self.async_set_unique_id(prefix)
        self._abort_if_unique_id_configured()
        self._discovered = prefix
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
        """Edit the heartbeat timeout and whether new controllers are added.

        Args:
            user_input: The submitted form, or None to show it.

        Returns:
            The form, or the result that stores the new options.
        """
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_HEARTBEAT_TIMEOUT: int(user_input[CONF_HEARTBEAT_TIMEOUT]),
                    CONF_ADD_NEW_CONTROLLERS: user_input[CONF_ADD_NEW_CONTROLLERS],
                }
            )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _OPTIONS_SCHEMA, self.config_entry.options
            ),
        )
