# --staged: the policies of examples/denies/isolation.fence as StagedNetworkPolicy (stagedAction Set)
build --target calico --staged examples/denies/isolation.fence
