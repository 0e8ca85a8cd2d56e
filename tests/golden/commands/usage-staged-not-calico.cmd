# --staged is for the calico target: with another, a usage error (exit 2), not a build without it.
build --target k8s --staged examples/denies/isolation.fence
