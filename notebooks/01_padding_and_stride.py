# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 Padding and stride
#
# **Learning goals**
# - compute a convolution (畳み込み, *tatami-komi*) by hand as a sliding multiply-add;
# - predict the output size from padding (パディング) and stride (ストライド).

# %%
import numpy as np

import cnnlib
from cnnlib.layers import Convolution

# %% [markdown]
# ## Convolution as a sliding multiply-add
# The book's example: a 4×4 input and a 3×3 filter. The filter slides over the input;
# at each position we multiply the overlapping numbers and add them up.

# %%
x = np.array([[1, 2, 3, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 3, 0, 1]], dtype=np.float64)
w = np.array([[2, 0, 1],
              [0, 1, 2],
              [1, 0, 2]], dtype=np.float64)

out = np.array([[np.sum(x[i:i + 3, j:j + 3] * w) for j in range(2)] for i in range(2)])
print(out)
assert (out == [[15, 16], [6, 15]]).all()

# %% [markdown]
# The library's `Convolution` layer computes the same thing on 4-D arrays (N, C, H, W),
# and adds a bias (here 3) to every output:

# %%
conv = Convolution(w[None, None], b=np.array([3.0]))
print(conv.forward(x[None, None])[0, 0])
assert (conv.forward(x[None, None])[0, 0] == out + 3).all()

# %% [markdown]
# ## The output-size formula
# $$OH = \frac{H + 2P - FH}{S} + 1$$
# Each case of the book, checked by running a real convolution:

# %%
# NBVAL_CHECK_OUTPUT
for (H, W), P, S, (FH, FW) in [((4, 4), 1, 1, (3, 3)), ((7, 7), 0, 2, (3, 3)), ((28, 31), 2, 3, (5, 5))]:
    predicted = (cnnlib.conv_output_size(H, FH, S, P), cnnlib.conv_output_size(W, FW, S, P))
    layer = Convolution(np.ones((1, 1, FH, FW)), np.zeros(1), stride=S, pad=P)
    measured = layer.forward(np.ones((1, 1, H, W))).shape[2:]
    print(f"input {(H, W)}, pad {P}, stride {S}, filter {(FH, FW)} -> output {predicted}")
    assert predicted == measured
