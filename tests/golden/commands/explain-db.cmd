explain tests/golden/commands/shop.fence --workload orders/db
