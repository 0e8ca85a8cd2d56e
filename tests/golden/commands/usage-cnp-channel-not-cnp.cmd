# --cnp-channel is for the cnp target: with another, a usage error (exit 2), not a build without it.
build --target cilium --cnp-channel experimental examples/denies/isolation.fence
