why tests/golden/commands/shop.fence --from 10.0.0.1 --to 8.8.8.8:53/udp
