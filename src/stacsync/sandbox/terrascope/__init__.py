"""Emulator of VITO Terrascope: Keycloak OIDC, the STAC API and the download service."""

from stacsync.sandbox.terrascope.emulator import TerrascopeEmulator

EMULATOR = TerrascopeEmulator
"""The emulator class the sandbox runner instantiates."""

__all__ = ["EMULATOR", "TerrascopeEmulator"]
