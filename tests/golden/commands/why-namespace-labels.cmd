why tests/golden/commands/labels.fence --from shop/web --to monitoring/prometheus:9090 --ns-labels shop:team=shop,env=prod
