import --verify -n shop tests/import/corpus/recipes
