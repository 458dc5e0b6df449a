"""The CLMS download API (land.copernicus.eu): records, request builders and STAC mappings.

``records`` parses ``@search`` DataSets, pre-packaged files, ``@datarequest_*`` responses and
error bodies; ``requests`` builds and checks ``@datarequest_post`` payloads and gives every
extraction a stable request key; ``stac`` maps datasets, files and finished tasks to STAC.
"""
