# Nothing isolates either end.
why tests/golden/commands/shop.fence --from orders/worker --to payments/gateway:9090/udp
