# Network partitions (issue 7): a netns lab, real iptables cuts, the fault checker. Needs root.
# The repeat mode (python3 -m harness.faults --runs N) is not part of CI.
pghalo_python_test(partitions_units MODULES harness.test_netns harness.test_checker LABEL unit TIMEOUT 120)
pghalo_python_test(partitions MODULES partitions.test_partitions LABEL integration TIMEOUT 720)
