# The ingress side Fence adds where the destination's namespace denies ingress.
why tests/golden/commands/shop.fence --from storefront/web --to storefront/api:8080
