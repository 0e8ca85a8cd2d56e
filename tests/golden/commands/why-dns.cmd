# A DNS name could resolve into the metadata deny: undecided until its address is given.
why tests/golden/commands/shop.fence --from storefront/api --to api.stripe.com:443
