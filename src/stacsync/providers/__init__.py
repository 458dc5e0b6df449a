"""Provider records and their pure mappings to STAC, one subpackage per provider.

Each provider package has ``records.py`` (frozen dataclasses parsed from the provider's decoded
JSON, raising :class:`~stacsync.errors.PayloadError` on bad data) and ``stac.py`` (pure
functions from records to JSON-ready STAC dicts). :mod:`stacsync.providers.payload` turns a
response body into JSON for every provider.
"""
