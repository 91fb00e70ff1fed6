"""The embedded local stack: moto server, provisioning from the catalogue, the event pump, the
local API and web servers, demo data. Never imported by a Lambda handler."""
