why tests/golden/commands/shop.fence --label-key 'a b' --from storefront/web --to storefront/api:8080
