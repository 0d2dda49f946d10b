"""Fast kernels: the places where numdeep trades readability for speed, each in one named spot.

Every kernel here replaces a piece of reference math that stays readable where it is used (the
primitive's ``forward``/``backward`` or the optimizer's documented update rule), and
``tests/backend/test_kernels.py`` checks that kernel and reference agree.

- ``gelu``: float32 GELU from Abramowitz & Stegun 7.1.26 on cache-sized blocks
  (reference: ``Gelu`` in ``autograd/primitives/elementwise.py`` through ``erf``).
"""
