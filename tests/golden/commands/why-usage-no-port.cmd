why tests/golden/commands/shop.fence --from storefront/web --to storefront/api
