import tests/import/examples/readings.yaml
