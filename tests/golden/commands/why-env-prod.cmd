why tests/golden/commands/envs.fence --env prod --from shop/web --to 203.0.113.9:443
