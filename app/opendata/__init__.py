"""The open-data catalogue: every published dataset with its licence, frequency and schema, as
a page (/open-data), a Frictionless Data Package and a DCAT-AP description for portals."""
