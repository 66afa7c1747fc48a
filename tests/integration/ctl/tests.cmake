# pghaloctl against one real lab (3 etcd, 3 PostgreSQL, 3 pghalo agents): every subcommand's
# effect and output, golden tables, a backup restored as a running server.
pghalo_python_test(pghaloctl MODULES ctl.test_pghaloctl LABEL integration TIMEOUT 300)
