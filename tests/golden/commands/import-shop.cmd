import tests/import/examples/shop.yaml
