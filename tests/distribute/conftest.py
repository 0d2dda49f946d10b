# The scripts are launched by mpiexec from the tests; pytest never imports them.
collect_ignore = ["scripts"]
