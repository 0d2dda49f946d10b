"""Fast kernels: the places where numdeep trades readability for speed, each in one named spot.

Every kernel here replaces a piece of reference math that stays readable where it is used, and
``tests/backend/test_kernels.py`` checks that kernel and reference agree:

- ``gelu``: float32 GELU from Abramowitz & Stegun 7.1.26 on cache-sized blocks
  (reference: ``gelu_reference`` in ``autograd/primitives/elementwise.py``).
- ``softmax``: masked last-axis softmax of attention scores, shifted per block, and its backward
  (reference: ``masked_softmax_reference`` in ``autograd/primitives/attention.py``).
- ``layernorm``, ``batchnorm``: last-axis layer normalization in row blocks, channels-last batch
  normalization on a tiled view (references: ``layer_norm_reference`` and ``BatchNorm``'s masked
  path in ``autograd/primitives/normalization.py``; also tested in
  ``tests/autograd/test_normalization_kernels.py``).
- ``blockwise``: a kernel's blocks handed out one at a time to the thread pool (GELU, softmax,
  layer normalization), so a thread that starts late costs nothing.
- ``im2col``: the convolution's patch matrix built a block of images at a time
  (reference: ``patches_reference`` in ``autograd/primitives/conv_geometry.py``).
- ``depthwise``, ``conv_taps``: depthwise convolutions as per-tap multiply-adds, one-filter and
  transposed convolutions tap by tap (references: the grouped and im2col paths of ``Conv``,
  ``conv_transpose_reference``; tested in ``tests/backend/test_conv_kernels.py``).
- ``optimizers``: Adam's update as in-place ufunc chains (reference: ``adam_reference``).
- ``reductions``: per-channel sums as one BLAS matrix-vector product (bias gradients,
  BatchNorm statistics; reference: ``a.sum(axis=0)``).
- ``scatter``: row scatter-add in rounds of distinct ids, the embedding gradient (reference:
  ``np.add.at``; tested in ``tests/backend/test_scatter_kernels.py``).

The recurrent primitives (``autograd/primitives/recurrent.py``) are fused whole-sequence scans by
design; their reference is the per-step recurrence in ``tests/autograd/test_recurrent_ops.py``
(their exp-based gates and all-steps products: ``tests/autograd/test_recurrent_kernels.py``).
"""
