"""Update entities: the firmware of each controller, against the firmware manifest.

The manifest is a small JSON file at an address the user sets in the options,
`{"version": "1.2.0", "url": "https://.../fw.bin", "release_notes": "..."}`. One
fetcher per hub reads it for all of the hub's controllers, every few hours and when
an update entity is asked to refresh. Without a manifest the entities only show the
installed version.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
import json
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from . import actions
from .const import DOMAIN, LOGGER
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import FIRMWARE_VERSION, LAST_COMMAND, ControllerState
from .protocol import CommandType

# A new firmware is published rarely; a controller never needs it within minutes.
MANIFEST_REFRESH_INTERVAL: Final = timedelta(hours=6)
MANIFEST_TIMEOUT: Final = 10
# A manifest is a few hundred bytes; anything much larger is not one.
MANIFEST_MAX_BYTES: Final = 64 * 1024
MAX_VERSION_LENGTH: Final = 64

# Installing waits for the controller for many minutes; other entities must not wait.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FirmwareDescription(UpdateEntityDescription, FutureFishEntityDescription):
    """The firmware of a controller."""


FIRMWARE: Final = FirmwareDescription(
    key="firmware",
    translation_key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
    # The reported version, and the commands (for the progress).
    watched=(FIRMWARE_VERSION, LAST_COMMAND),
)


@dataclass(frozen=True, kw_only=True)
class FirmwareRelease:
    """The newest firmware, as the manifest describes it."""

    version: str
    url: str
    release_notes: str | None


def _unusable(key: str, **placeholders: str) -> UpdateFailed:
    """Return the error of a manifest that cannot be used, in the user's language."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def parse_manifest(body: bytes) -> FirmwareRelease:
    """Return the release a manifest describes; raise UpdateFailed if it is none."""
    if len(body) > MANIFEST_MAX_BYTES:
        raise _unusable("manifest_too_large", maximum=str(MANIFEST_MAX_BYTES))
    try:
        manifest = json.loads(body)
    except ValueError as err:
        raise _unusable("manifest_not_json", error=str(err)) from err
    if not isinstance(manifest, dict):
        raise _unusable("manifest_not_object")
    version = manifest.get("version")
    url = manifest.get("url")
    notes = manifest.get("release_notes")
    if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION_LENGTH:
        raise _unusable("manifest_no_version")
    if not isinstance(url, str) or not url:
        raise _unusable("manifest_no_url")
    if notes is not None and not isinstance(notes, str):
        raise _unusable("manifest_notes_not_text")
    return FirmwareRelease(version=version, url=url, release_notes=notes or None)


class FirmwareManifest(DataUpdateCoordinator[FirmwareRelease | None]):
    """The firmware manifest of one hub, shared by all its update entities.

    A failed fetch is logged once (until one succeeds again) and keeps the release
    fetched before.
    """

    def __init__(
        self, hass: HomeAssistant, entry: FutureFishConfigEntry, url: str
    ) -> None:
        """Fetch the manifest at `url` for the hub of `entry`."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            # Without the URL, which may carry an access token.
            name=f"firmware manifest of {entry.title}",
            update_interval=MANIFEST_REFRESH_INTERVAL,
            always_update=False,
        )
        self.url = url

    async def _async_update_data(self) -> FirmwareRelease:
        """Fetch and check the manifest."""
        session = async_get_clientsession(self.hass)
        async with (
            asyncio.timeout(MANIFEST_TIMEOUT),
            session.get(self.url) as response,
        ):
            response.raise_for_status()
            body = await response.read()
        return parse_manifest(body)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a firmware entity for every controller, now and as they appear."""
    hub = entry.runtime_data
    manifest: FirmwareManifest | None = None
    if hub.settings.firmware_manifest_url is not None:
        manifest = FirmwareManifest(hass, entry, hub.settings.firmware_manifest_url)
        # In the background: a slow firmware server must not delay the start.
        _ = entry.async_create_background_task(
            hass, manifest.async_refresh(), f"{DOMAIN} firmware manifest"
        )

    def create(
        hub: FutureFishHub,
        controller: ControllerState,
        description: FirmwareDescription,
    ) -> FutureFishFirmware:
        return FutureFishFirmware(hub, controller, description, manifest)

    async_setup_device_entities(entry, async_add_entities, create, (FIRMWARE,), ())


class FutureFishFirmware(FutureFishEntity, UpdateEntity):
    """The firmware a controller reports, and the newest one the manifest offers."""

    entity_description: FirmwareDescription

    def __init__(
        self,
        hub: FutureFishHub,
        controller: ControllerState,
        description: FirmwareDescription,
        manifest: FirmwareManifest | None,
    ) -> None:
        """Describe the firmware of `controller`."""
        super().__init__(hub, controller, description)
        self.manifest = manifest
        self._attr_supported_features = UpdateEntityFeature.PROGRESS
        if manifest is not None:
            self._attr_supported_features |= (
                UpdateEntityFeature.INSTALL | UpdateEntityFeature.RELEASE_NOTES
            )

    async def async_added_to_hass(self) -> None:
        """Also follow the manifest."""
        await super().async_added_to_hass()
        if self.manifest is not None:
            self.async_on_remove(
                self.manifest.async_add_listener(self.async_write_ha_state)
            )

    @property
    def installed_version(self) -> str | None:
        """Return the version the controller last reported."""
        return self.controller.firmware_version

    @property
    def latest_version(self) -> str | None:
        """Return the manifest's version (None until fetched; installed without)."""
        if self.manifest is None:
            return self.installed_version
        release = self.manifest.data
        return None if release is None else release.version

    @property
    def in_progress(self) -> bool:
        """Return whether a firmware update of this controller is running."""
        return any(
            command.controller is self.controller
            and command.command_type is CommandType.FIRMWARE
            for command in self.hub.commands.active.values()
        )

    async def async_release_notes(self) -> str | None:
        """Return the release notes of the manifest's version."""
        release = None if self.manifest is None else self.manifest.data
        return None if release is None else release.release_notes

    async def async_update(self) -> None:
        """Fetch the manifest again (update_entity asks for it)."""
        if self.manifest is not None:
            await self.manifest.async_request_refresh()

    async def async_install(
        self,
        version: str | None,  # noqa: ARG002
        backup: bool,  # noqa: ARG002
        **kwargs: Any,  # noqa: ARG002
    ) -> None:
        """Send the manifest's firmware and return once the controller installed it."""
        # Home Assistant installs only a latest version, which comes from a release.
        release = None if self.manifest is None else self.manifest.data
        if TYPE_CHECKING:
            assert release is not None
        command = await actions.async_update_firmware(
            self.hub.commands, self.controller, release.url, self._context
        )
        await actions.async_wait(command, until_completion=True)
