"""Deployable definition of Permis en ligne (AWS CDK v2 + chalice.cdk). One file per concern;
every resource comes from chalicelib/resources.py and the app itself. See infra/README.md."""
