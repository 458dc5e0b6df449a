"""The CLC+ Backbone product API (gen-1): records, order requests and STAC mappings.

``records`` parses tokens, order receipts, order statuses, nations and error bodies;
``requests`` checks orders locally and gives each a stable request key; ``stac`` maps delivered
orders to STAC items (projection, classification, scientific, order, alternate-assets and
storage extensions) and provides the collections.
"""
