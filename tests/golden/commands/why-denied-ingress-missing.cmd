# Egress allowed by a statement, but the destination's namespace denies ingress and nothing lets the source in.
why tests/golden/commands/shop.fence --from payments/gateway --to orders/db@10.1.2.3:5432
