"""Fast kernels: the places where numdeep trades readability for speed, each in one named spot.

Every kernel here replaces a piece of reference math that stays readable where it is used, and
``tests/backend/test_kernels.py`` checks that kernel and reference agree:

- ``gelu``: float32 GELU from Abramowitz & Stegun 7.1.26 on cache-sized blocks
  (reference: ``gelu_reference`` in ``autograd/primitives/elementwise.py``).
- ``softmax``: masked last-axis softmax of attention scores, shifted per block
  (reference: ``masked_softmax_reference`` in ``autograd/primitives/attention.py``).
- ``im2col``: the convolution's patch matrix built a block of images at a time
  (reference: ``patches_reference`` in ``autograd/primitives/conv.py``).
- ``optimizers``: Adam's update as in-place ufunc chains (reference: ``adam_reference``).

The recurrent primitives (``autograd/primitives/recurrent.py``) are fused whole-sequence scans by
design; their reference is the per-step recurrence in ``tests/autograd/test_recurrent_ops.py``.
"""
