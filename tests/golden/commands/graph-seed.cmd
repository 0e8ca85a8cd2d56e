# The seed example as Mermaid: web-api to postgres, DNS and the external range; metadata blocked.
graph examples/seed/production.fence
