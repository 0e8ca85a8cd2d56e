# Denied at both ends; one statement opens both, since orders denies ingress.
why tests/golden/commands/shop.fence --from storefront/web --to orders/db:5432
