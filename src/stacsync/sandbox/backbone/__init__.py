"""Emulator of the CLC+ Backbone product API, gen-1 (GeoVille/GAF for the EEA).

Hosts: ``api`` (``/v1``: bearer token, AOI/national/European orders, nations, order status),
``files`` (the public Swift container ``clcplus-public/products/``) and ``s3`` (a moto S3
server with the bucket ``dissemination``). See ``docs/sandbox/backbone.md``.
"""

from stacsync.sandbox.backbone.emulator import BackboneEmulator

EMULATOR = BackboneEmulator

__all__ = ["EMULATOR", "BackboneEmulator"]
