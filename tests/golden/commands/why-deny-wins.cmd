# A deny wins over every allow.
why tests/golden/commands/shop.fence --from storefront/api --to 169.254.169.254:80
