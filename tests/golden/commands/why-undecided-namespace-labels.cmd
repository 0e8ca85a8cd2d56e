# Without the namespace's labels, the answer depends on them.
why tests/golden/commands/labels.fence --from shop/web --to monitoring/prometheus:9090
