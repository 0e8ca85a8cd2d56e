# One workload and its neighbours, as DOT: allowed (resting on pods outside the metadata CIDRs), undecided, denied.
graph tests/golden/commands/shop.fence --workload storefront/api --format dot
