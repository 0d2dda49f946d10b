"""pytest settings for the whole checkout: the doctests of optional parts whose dependencies are
missing are not collected (``numdeep.distribute`` needs mpi4py: ``pip install 'numdeep[mpi]'``)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("mpi4py") is None:
    collect_ignore.append("numdeep/distribute")
