# One node per namespace.
graph tests/golden/commands/shop.fence --level namespace
