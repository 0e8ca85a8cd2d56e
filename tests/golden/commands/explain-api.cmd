explain tests/golden/commands/shop.fence --workload storefront/api
