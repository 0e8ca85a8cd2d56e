# An address outside the cluster has no egress side.
why tests/golden/commands/shop.fence --from 198.51.100.1 --to storefront/web:443
