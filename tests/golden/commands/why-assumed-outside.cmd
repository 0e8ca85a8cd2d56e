# Without orders/db's address, it is taken to be outside the metadata deny's CIDRs, and the answer says so.
why tests/golden/commands/shop.fence --from storefront/api --to orders/db:5432
