# Usage errors exit 2 and say how to write the endpoint.
why tests/golden/commands/shop.fence --from web --to storefront/api:8080
