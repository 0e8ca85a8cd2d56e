why tests/golden/commands/shop.fence --from storefront/api --to api.stripe.com@203.0.113.7:443
