"""Mistakes a student makes, and the errors they get: each a ValueError or TypeError whose
message names the parameter (and the numbers) so that the fix is obvious."""

import numpy as np
import pytest

from cnnlib import Sequential, col2im, im2col
from cnnlib.layers import (LRN, Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu,
                           SoftmaxWithLoss)


def conv(C=3, FH=3, FW=3, **kwargs):
    return Convolution(np.zeros((2, C, FH, FW)), np.zeros(2), **kwargs)


# --- wrong rank -----------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, x, pattern", [
    (conv(), np.zeros((3, 5, 5)), r"x must have 4 dimensions \(N, C, H, W\), got shape \(3, 5, 5\)"),
    (Pooling(2, 2, stride=2), np.zeros((4, 4)), r"x must have 4 dimensions \(N, C, H, W\), got shape \(4, 4\)"),
    (LRN(), np.zeros((2, 5)), r"x must have 4 dimensions"),
    (BatchNormalization(np.ones(3), np.zeros(3)), np.zeros((2, 3, 4)), r"x must have 2 or 4 dimensions"),
], ids=["conv", "pool", "lrn", "batchnorm"])
def test_wrong_input_rank(layer, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer.forward(x)


def test_wrong_score_rank_for_the_loss():
    with pytest.raises(ValueError, match=r"x must have 2 dimensions \(N, K\)"):
        SoftmaxWithLoss().forward(np.zeros((2, 3, 1)), np.array([0, 1]))


def test_wrong_filter_and_weight_ranks():
    with pytest.raises(ValueError, match=r"W must have 4 dimensions \(FN, C, FH, FW\)"):
        Convolution(np.zeros((2, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"W must have 2 dimensions \(D, M\)"):
        Affine(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"gamma must have 1 dimensions"):
        BatchNormalization(np.ones((2, 2)), np.zeros((2, 2)))


def test_lists_instead_of_arrays():
    with pytest.raises(TypeError, match=r"x must be a NumPy array"):
        conv().forward([[[[0.0]]]])
    with pytest.raises(TypeError, match=r"W must be a NumPy array"):
        Convolution([[[[1.0]]]], np.zeros(1))
    with pytest.raises(TypeError, match=r"input_data must be a NumPy array"):
        im2col([[1.0]], 1, 1)


@pytest.mark.parametrize("make, pattern", [
    (lambda: Convolution(np.zeros((2, 1, 3, 3)), [0.0, 0.0]), r"\bb\b"),
    (lambda: Affine(np.zeros((3, 2)), [0.0, 0.0]), r"\bb\b"),
    (lambda: BatchNormalization(np.ones(2), [0.0, 0.0]), r"beta"),
], ids=["conv_b", "affine_b", "batchnorm_beta"])
def test_bias_given_as_a_list(make, pattern):
    # the weights are checked with a clear TypeError; the bias should be too (today: AttributeError)
    with pytest.raises(TypeError, match=pattern):
        make()


# --- shapes that do not match -------------------------------------------------------------------

def test_channel_mismatch_between_input_and_filters():
    with pytest.raises(ValueError, match=r"input has C = 1 channels but the filters W \(2, 3, 3, 3\) expect C = 3"):
        conv(C=3).forward(np.zeros((1, 1, 5, 5)))


def test_bias_shape_mismatch():
    with pytest.raises(ValueError, match=r"b must have shape \(FN,\) = \(2,\)"):
        Convolution(np.zeros((2, 3, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"b must have shape \(M,\) = \(4,\)"):
        Affine(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"beta must have the shape of gamma \(3,\)"):
        BatchNormalization(np.ones(3), np.zeros(2))


def test_affine_feature_mismatch():
    with pytest.raises(ValueError, match=r"Affine expects 12 input features.*27"):
        Affine(np.zeros((12, 4)), np.zeros(4)).forward(np.zeros((2, 3, 3, 3)))


def test_batch_norm_channel_mismatch():
    with pytest.raises(ValueError, match=r"x has 4 features/channels on axis 1 but gamma has D = 3"):
        BatchNormalization(np.ones(3), np.zeros(3)).forward(np.zeros((2, 4, 5, 5)))


def test_col2im_wrong_col_shape():
    with pytest.raises(ValueError, match=r"col must have shape \(N\*OH\*OW, C\*FH\*FW\) = \(9, 27\)"):
        col2im(np.zeros((9, 26)), (1, 3, 5, 5), 3, 3)


# --- window arithmetic ----------------------------------------------------------------------------

def test_non_dividing_stride_in_strict_mode():
    # (28 + 2*1 - 4) = 26 is not a multiple of 3; 28 + 0 - 4 = 24 and 28 + 6 - 4 = 30 are
    expected = (r"\(28 \+ 2\*1 - 4\) = 26 is not divisible by stride = 3.*"
                r"pad=0 or pad=3 with stride=3, or stride=2 or stride=1 with pad=1.*strict=False")
    with pytest.raises(ValueError, match=expected):
        Convolution(np.zeros((1, 1, 4, 4)), np.zeros(1), stride=3, pad=1).forward(np.zeros((1, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"= 3 is not divisible by stride = 2"):
        Pooling(2, 2, stride=2).forward(np.zeros((1, 1, 5, 5)))


def test_non_dividing_stride_allowed_when_not_strict():
    assert conv(C=1, stride=2, pad=1, strict=False).forward(np.zeros((1, 1, 6, 6))).shape == (1, 2, 3, 3)
    assert Pooling(2, 2, stride=2, strict=False).forward(np.zeros((1, 1, 5, 5))).shape == (1, 1, 2, 2)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"filter size 5 is larger than the padded input \(3 \+ 2\*0 = 3\).*pad >= 1"):
        conv(C=1, FH=5, FW=5).forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"filter size 4 is larger than the padded input \(3 \+ 2\*0 = 3\)"):
        Pooling(4, 4).forward(np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize("make", [
    lambda: conv(pad=-1),
    lambda: Pooling(2, 2, pad=-1),
    lambda: im2col(np.zeros((1, 1, 4, 4)), 2, 2, pad=-1),
], ids=["conv", "pool", "im2col"])
def test_negative_padding(make):
    with pytest.raises(ValueError, match=r"pad must be >= 0, got pad = -1"):
        make()


@pytest.mark.parametrize("make", [
    lambda: conv(stride=0),
    lambda: Pooling(2, 2, stride=0),
    lambda: im2col(np.zeros((1, 1, 4, 4)), 2, 2, stride=0),
], ids=["conv", "pool", "im2col"])
def test_zero_stride(make):
    with pytest.raises(ValueError, match=r"stride must be >= 1, got stride = 0"):
        make()


@pytest.mark.parametrize("kwargs, name", [(dict(stride=2.0), "stride"), (dict(pad=1.5), "pad")])
def test_non_integer_stride_or_pad(kwargs, name):
    with pytest.raises(TypeError, match=rf"{name} must be an integer"):
        conv(**kwargs)
    with pytest.raises(TypeError, match=rf"{name} must be an integer"):
        Pooling(2, 2, **kwargs)


def test_max_pool_padding_as_large_as_the_window():
    # with pad >= the window, some windows lie entirely in the -inf padding and output -inf,
    # which turns into NaN in the next layer. PyTorch refuses (pad at most half the window).
    x = np.ones((1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"\bpad\b"):
        Pooling(2, 2, stride=2, pad=2).forward(x)


# --- labels ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [np.zeros((2, 4)), np.array([0, 1, 2]), np.zeros((2, 2), dtype=int),
                               np.zeros((3, 1), dtype=int)],
                         ids=["one-hot with 4 classes", "3 labels for 2 samples", "two columns",
                              "column of 3 labels for 2 samples"])
def test_wrong_label_shape(t):
    with pytest.raises(ValueError, match=r"t must be integer labels of shape \(N,\) = \(2,\) or \(N, 1\), "
                                         r"or one-hot of shape \(N, K\) = \(2, 3\)"):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), t)


def test_float_labels():
    with pytest.raises(TypeError, match=r"t must hold integer class labels, got dtype float64"):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"t holds labels in \[0, 3\], but there are only K = 3 classes"):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"t holds labels in \[-1, 1\]"):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([-1, 1]))


def test_accuracy_label_count_and_batch_size():
    net = Sequential([Affine(np.zeros((4, 3)), np.zeros(3))])
    with pytest.raises(ValueError, match=r"x has 5 samples but t has 4 labels"):
        net.accuracy(np.zeros((5, 4)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"batch_size must be >= 1, got batch_size = 0"):
        net.accuracy(np.zeros((5, 4)), np.zeros(5, dtype=int), batch_size=0)


# --- other hyper-parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("ratio", [-0.1, 1.0, 1.5])
def test_dropout_ratio(ratio):
    with pytest.raises(ValueError, match=rf"ratio must be in \[0, 1\), got ratio = {ratio}"):
        Dropout(ratio)


@pytest.mark.parametrize("n", [0, 2, 4])
def test_lrn_window_must_be_odd(n):
    with pytest.raises(ValueError, match=rf"n must be an odd number of channels >= 1.*got n = {n}"):
        LRN(n=n)


def test_pooling_mode():
    with pytest.raises(ValueError, match=r"mode must be 'max' or 'average', got mode = 'mean'"):
        Pooling(2, 2, mode="mean")


@pytest.mark.parametrize("momentum", [1.0, -0.1, 2])
def test_batch_norm_momentum(momentum):
    with pytest.raises(ValueError, match=rf"momentum must be in \[0, 1\) or None, got momentum = {momentum}"):
        BatchNormalization(np.ones(2), np.zeros(2), momentum=momentum)


def test_relu_is_fine_with_any_shape():
    # element-wise layers have no shape to get wrong
    assert Relu().forward(np.zeros((2, 3, 4, 5, 6))).shape == (2, 3, 4, 5, 6)
