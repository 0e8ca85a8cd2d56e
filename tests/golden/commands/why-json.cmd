why tests/golden/commands/shop.fence --from storefront/web --to orders/db:5432 --format json
