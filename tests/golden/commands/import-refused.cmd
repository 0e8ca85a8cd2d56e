import tests/import/examples/refused.yaml tests/import/examples/broken.yaml tests/import/corpus/network-policy-api/user-stories/user-story-1.yaml
