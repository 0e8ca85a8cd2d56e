# A program with environments is analyzed in one of them.
why tests/golden/commands/envs.fence --from shop/web --to 203.0.113.9:443
