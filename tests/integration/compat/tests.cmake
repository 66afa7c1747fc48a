# Drop-in for Patroni (issue 5): the real patronictl and the REST API against pghalo nodes that
# run Patroni's own YAML, and a mixed Patroni + pghalo cluster behind HAProxy. About 4 minutes
# each on 2 cores; each module shares one lab between its tests.
pghalo_python_test(compat_pghalo_cluster MODULES compat.test_pghalo_cluster
                   LABEL integration TIMEOUT 900)
pghalo_python_test(compat_mixed_cluster MODULES compat.test_mixed_cluster
                   LABEL integration TIMEOUT 900)
