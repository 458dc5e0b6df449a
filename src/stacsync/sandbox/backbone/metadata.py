"""The static INSPIRE/ISO 19139 metadata files shipped in the packages.

The real packages ship the pan-European dataset's metadata renamed, so it describes Europe,
not the clip. These are shortened stand-ins with the dataset's title, DOI, dates and extent
from the EEA SDI catalogue record.
"""

from __future__ import annotations

_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml/3.2">
  <gmd:fileIdentifier><gco:CharacterString>{uuid}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/"
      codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode
      codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode"
      codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
  <gmd:contact><gmd:CI_ResponsibleParty>
    <gmd:organisationName><gco:CharacterString>European Environment Agency</gco:CharacterString>
    </gmd:organisationName>
    <gmd:role><gmd:CI_RoleCode
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode"
        codeListValue="pointOfContact">pointOfContact</gmd:CI_RoleCode></gmd:role>
  </gmd:CI_ResponsibleParty></gmd:contact>
  <gmd:dateStamp><gco:DateTime>2023-01-23T00:00:00</gco:DateTime></gmd:dateStamp>
  <gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier>
    <gmd:RS_Identifier><gmd:code><gco:CharacterString>EPSG:3035</gco:CharacterString></gmd:code>
    </gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem>
  </gmd:referenceSystemInfo>
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation>
      <gmd:title><gco:CharacterString>{title}</gco:CharacterString></gmd:title>
      <gmd:date><gmd:CI_Date><gmd:date><gco:Date>2022-03-07</gco:Date></gmd:date>
        <gmd:dateType><gmd:CI_DateTypeCode
            codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode"
            codeListValue="creation">creation</gmd:CI_DateTypeCode></gmd:dateType>
      </gmd:CI_Date></gmd:date>
      <gmd:identifier><gmd:MD_Identifier><gmd:code>
        <gco:CharacterString>{doi}</gco:CharacterString>
      </gmd:code></gmd:MD_Identifier></gmd:identifier>
    </gmd:CI_Citation></gmd:citation>
    <gmd:abstract><gco:CharacterString>The CLC+ Backbone is a spatially detailed, large scale,
      EEA-wide land cover inventory in vector and raster format, providing a high-resolution
      wall-to-wall land cover layer with 11 (raster) / 18 (vector) basic land cover classes,
      from Sentinel-2 time series of July 2017 to June 2019.</gco:CharacterString></gmd:abstract>
    <gmd:spatialResolution><gmd:MD_Resolution><gmd:distance>
      <gco:Distance uom="m">{resolution}</gco:Distance>
    </gmd:distance></gmd:MD_Resolution></gmd:spatialResolution>
    <gmd:extent><gmd:EX_Extent>
      <gmd:geographicElement><gmd:EX_GeographicBoundingBox>
        <gmd:westBoundLongitude><gco:Decimal>-56.5052</gco:Decimal></gmd:westBoundLongitude>
        <gmd:eastBoundLongitude><gco:Decimal>72.9061</gco:Decimal></gmd:eastBoundLongitude>
        <gmd:southBoundLatitude><gco:Decimal>24.2841</gco:Decimal></gmd:southBoundLatitude>
        <gmd:northBoundLatitude><gco:Decimal>72.6338</gco:Decimal></gmd:northBoundLatitude>
      </gmd:EX_GeographicBoundingBox></gmd:geographicElement>
      <gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>
        <gml:TimePeriod gml:id="T1"><gml:beginPosition>2017-07-01</gml:beginPosition>
          <gml:endPosition>2019-06-30</gml:endPosition></gml:TimePeriod>
      </gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>
    </gmd:EX_Extent></gmd:extent>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def raster_metadata_xml() -> str:
    """Metadata of the CLCplus Backbone 2018 raster (10 m)."""
    return _TEMPLATE.format(
        uuid="cd534ebf-f553-42f0-9ac1-62c1dc36d32c",
        title="CLCplus Backbone 2018 (raster 10 m), Europe, 3-yearly, Feb. 2023",
        doi="https://doi.org/10.2909/cd534ebf-f553-42f0-9ac1-62c1dc36d32c",
        resolution="10",
    )


def vector_metadata_xml() -> str:
    """Metadata of the CLCplus Backbone 2018 vector product."""
    return _TEMPLATE.format(
        uuid="d45d5114-fb86-4265-9c5a-a7225a511f7c",
        title="CLCplus Backbone 2018 (vector), Europe",
        doi="d45d5114-fb86-4265-9c5a-a7225a511f7c",
        resolution="10",
    )
