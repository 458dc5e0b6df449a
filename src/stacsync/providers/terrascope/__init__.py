"""VITO Terrascope: STAC API search results copied into the static catalogue.

``stac`` turns the Items and Collections the Terrascope STAC API returns (the current STAC 1.1
shape and the older STAC 1.0 shape) into the objects the catalogue stores; ``extensions``
decides which extension schema versions those objects declare.
"""
