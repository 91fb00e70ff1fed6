"""HTTP layer: Chalice blueprints per audience, thin views over `chalicelib.services`."""
