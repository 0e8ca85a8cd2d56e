import --verify tests/import/examples/shop.yaml
