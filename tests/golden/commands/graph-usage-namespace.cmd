# A namespace the program does not name is a usage error (exit 2).
graph examples/seed/production.fence --namespace nowhere
