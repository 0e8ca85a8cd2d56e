# With --target, the program must also compile for it: NetworkPolicy has no DNS names.
why tests/golden/commands/shop.fence --target k8s --from storefront/web --to storefront/api:8080
