"""Constants shared by the Future Fish integration."""

import logging
from typing import Final

from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY

DOMAIN: Final = "future_fish"
LOGGER: Final = logging.getLogger(__package__)
MANUFACTURER: Final = "Future Fish"

CONF_PREFIX: Final = "prefix"
CONF_HEARTBEAT_TIMEOUT: Final = "heartbeat_timeout"
CONF_ADD_NEW_CONTROLLERS: Final = "add_new_controllers"

DEFAULT_PREFIX: Final = "ff"
# The deployed backend's value: controllers send a heartbeat every 20 s, so three
# missed heartbeats mean a controller is gone.
DEFAULT_HEARTBEAT_TIMEOUT: Final = 60
MIN_HEARTBEAT_TIMEOUT: Final = 10
MAX_HEARTBEAT_TIMEOUT: Final = 3600
DEFAULT_ADD_NEW_CONTROLLERS: Final = True
# How many controllers one hub adds before it ignores new ids. By default as many as
# Home Assistant's budget of enabled entities per config entry holds: beyond it a
# controller would get a device without entities.
CONF_MAX_CONTROLLERS: Final = "max_controllers"
# Enabled entities of one controller with its two ponds, as the platforms create
# them (tests/test_admission.py counts them, so this follows the platforms).
ENABLED_ENTITIES_PER_CONTROLLER: Final = 55
DEFAULT_MAX_CONTROLLERS: Final = (
    MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY // ENABLED_ENTITIES_PER_CONTROLLER
)
MIN_MAX_CONTROLLERS: Final = 1
MAX_MAX_CONTROLLERS: Final = 100_000

# The original backend subscribed with QoS 1 (PROTOCOL.md section 1).
SUBSCRIBE_QOS: Final = 1

# Fired when a threshold alarm of a controller or pond turns on or off, and when a
# controller raises an alarm of its own (`<prefix>/<id>/threshold`).
EVENT_THRESHOLD: Final = f"{DOMAIN}_threshold"
EVENT_CONTROLLER_ALARM: Final = f"{DOMAIN}_alarm"
# Fired for a pond's farm records (stocking, samples, mortality, harvests) and when
# its feeding hold turns on or off, refuses a feed or is overridden.
EVENT_FEEDING: Final = f"{DOMAIN}_feeding"

# Units Home Assistant has no constant for.
UNIT_MILLIGRAMS_PER_LITER: Final = "mg/L"
UNIT_NTU: Final = "NTU"

# Command options (issue: confirmed commands).
CONF_ACK_TIMEOUT: Final = "ack_timeout"
CONF_RETRIES: Final = "retries"
CONF_ALLOW_HTTP_FIRMWARE: Final = "allow_http_firmware"
CONF_FIRMWARE_MANIFEST_URL: Final = "firmware_manifest_url"
DEFAULT_ACK_TIMEOUT: Final = 10
DEFAULT_RETRIES: Final = True
DEFAULT_ALLOW_HTTP_FIRMWARE: Final = False

# Alarm options (issue: alarms). The deployed defaults: three readings are a minute
# and a half at the controllers' 30 s cycle; 30 s catches a controller that reports
# more often.
CONF_ALARM_READINGS: Final = "alarm_readings"
CONF_ALARM_SECONDS: Final = "alarm_seconds"
CONF_PUSH_LIMITS: Final = "push_limits"
DEFAULT_ALARM_READINGS: Final = 3
DEFAULT_ALARM_SECONDS: Final = 30
DEFAULT_PUSH_LIMITS: Final = False
# What the controllers' ammonia reading is: TAN or NH3-N (see ammonia.py).
CONF_AMMONIA_READING: Final = "ammonia_reading"
