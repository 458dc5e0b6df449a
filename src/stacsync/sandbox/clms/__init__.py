"""Emulator of the Copernicus Land Monitoring Service download API (land.copernicus.eu).

Two hosts: ``api`` (the Plone site: ``/@@oauth2-token``, ``/api/@search``, DataSet objects and
the ``@datarequest_*`` download-tool services) and ``download`` (FME's result zips). See
``docs/sandbox/clms.md``.
"""

from stacsync.sandbox.clms.emulator import ClmsEmulator

EMULATOR = ClmsEmulator

__all__ = ["EMULATOR", "ClmsEmulator"]
