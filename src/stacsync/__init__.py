"""stacsync: Copernicus land-monitoring data as a clean, synced STAC catalogue."""

__version__ = "0.1.0"
