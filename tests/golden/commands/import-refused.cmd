import tests/import/examples/refused.yaml
