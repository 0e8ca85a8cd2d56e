explain tests/golden/commands/shop.fence --workload payments/pods[app=gateway,version=v2]
