"""Forward and backward of convolution, pooling, batch norm and LRN against PyTorch.

Runs only where PyTorch happens to be installed: it is never a requirement of the course.
Everything is float64, so the two libraries agree to about 1e-12.

Conventions that differ, and how they are matched here:
- LRN: the paper (and cnnlib) multiplies alpha by the *sum* of squares over the window,
  PyTorch by the *mean*: torch's alpha is cnnlib's alpha * n.
- BatchNormalization momentum: cnnlib keeps ``momentum`` of the old running value (the
  book's convention), PyTorch keeps ``1 - momentum``: cnnlib's 0.9 is torch's 0.1.
  Both normalize with the biased batch variance in training mode; for the *running*
  variance PyTorch uses the unbiased one, so only the running mean is compared.
- Max pooling with padding: both pad with -inf. Average pooling: both count the zero
  padding in the mean (``count_include_pad=True``).
"""

import numpy as np
import pytest

from cnnlib.layers import LRN, BatchNormalization, Convolution, Pooling

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = dict(rtol=1e-10, atol=1e-12)


def torch_forward_backward(fn, x, dout, *params):
    """Run ``fn(x, *params)`` in torch and backprop ``dout``; return out, dx, dparams as NumPy."""
    tx = torch.tensor(x, requires_grad=True)
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    out = fn(tx, *tparams)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy(), [p.grad.numpy() for p in tparams]


def test_convolution_sweep():
    rng = np.random.default_rng(0)
    for trial in range(25):
        N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
        H, W = (int(v) for v in rng.integers(3, 9, size=2))
        FH, FW = (int(v) for v in rng.integers(1, 4, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        case = f"trial {trial}: x=({N},{C},{H},{W}) W=({FN},{C},{FH},{FW}) {stride=} {pad=}"
        x, Wt, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN)
        conv = Convolution(Wt, b, stride, pad, strict=False)  # torch floors too
        assert_conv_matches_torch(conv, x, Wt, b, rng, case, stride=stride, padding=pad)


def assert_conv_matches_torch(conv, x, Wt, b, rng, case, **conv2d_args):
    """conv's forward and backward equal F.conv2d(x, Wt, b, **conv2d_args)'s, for a random dout."""
    out = conv.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = conv.backward(dout)
    t_out, t_dx, (t_dW, t_db) = torch_forward_backward(
        lambda x, w, b: F.conv2d(x, w, b, **conv2d_args), x, dout, Wt, b)
    np.testing.assert_allclose(out, t_out, **TOL, err_msg=case)
    np.testing.assert_allclose(dx, t_dx, **TOL, err_msg=case)
    np.testing.assert_allclose(conv.grads["W"], t_dW, **TOL, err_msg=case)
    np.testing.assert_allclose(conv.grads["b"], t_db, **TOL, err_msg=case)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pooling_sweep(mode):
    rng = np.random.default_rng(1)
    for trial in range(25):
        N, C = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = (int(v) for v in rng.integers(3, 9, size=2))
        pool_h, pool_w = (int(v) for v in rng.integers(1, 4, size=2))
        pad = int(rng.integers(0, min(pool_h, pool_w) // 2 + 1))  # torch: pad <= kernel // 2
        stride = int(rng.integers(1, 4))
        case = f"trial {trial}: x=({N},{C},{H},{W}) pool=({pool_h},{pool_w}) {stride=} {pad=}"
        x = rng.standard_normal((N, C, H, W))
        pool = Pooling(pool_h, pool_w, stride, pad, mode, strict=False)
        out = pool.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = pool.backward(dout)
        if mode == "max":
            fn = lambda x: F.max_pool2d(x, (pool_h, pool_w), stride, pad)  # noqa: E731
        else:
            fn = lambda x: F.avg_pool2d(x, (pool_h, pool_w), stride, pad, count_include_pad=True)  # noqa: E731
        t_out, t_dx, _ = torch_forward_backward(fn, x, dout)
        np.testing.assert_allclose(out, t_out, **TOL, err_msg=case)
        np.testing.assert_allclose(dx, t_dx, **TOL, err_msg=case)


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 4, 5)])
def test_batch_norm_training(x_shape):
    rng = np.random.default_rng(2)
    D = x_shape[1]
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    x = rng.standard_normal(x_shape) * 2 + 1
    layer = BatchNormalization(gamma.copy(), beta.copy(), momentum=0.9, eps=1e-5)
    out = layer.forward(x, train=True)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)

    running_mean, running_var = torch.zeros(D, dtype=torch.float64), torch.ones(D, dtype=torch.float64)
    t_out, t_dx, (t_dgamma, t_dbeta) = torch_forward_backward(
        lambda x, g, b: F.batch_norm(x, running_mean, running_var, g, b, training=True, momentum=0.1, eps=1e-5),
        x, dout, gamma, beta)
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], t_dgamma, **TOL)
    np.testing.assert_allclose(layer.grads["beta"], t_dbeta, **TOL)
    np.testing.assert_allclose(layer.buffers["running_mean"], running_mean.numpy(), **TOL)


def test_batch_norm_inference():
    rng = np.random.default_rng(3)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    layer = BatchNormalization(gamma, beta)
    layer.buffers["running_mean"][...] = mean
    layer.buffers["running_var"][...] = var
    x = rng.standard_normal((4, 3, 2, 2))
    expected = F.batch_norm(torch.tensor(x), torch.tensor(mean), torch.tensor(var), torch.tensor(gamma),
                            torch.tensor(beta), training=False, eps=1e-5).numpy()
    np.testing.assert_allclose(layer.forward(x, train=False), expected, **TOL)


@pytest.mark.parametrize("n, C", [(5, 8), (3, 4), (5, 3), (1, 2)])
def test_lrn(n, C):
    rng = np.random.default_rng(4)
    k, alpha, beta = 2.0, 0.05, 0.75
    x = rng.standard_normal((2, C, 3, 3))
    layer = LRN(k=k, n=n, alpha=alpha, beta=beta)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    # torch multiplies alpha by the mean of the window, the paper by the sum: alpha * n here
    t_out, t_dx, _ = torch_forward_backward(
        lambda x: F.local_response_norm(x, size=n, alpha=alpha * n, beta=beta, k=k), x, dout)
    np.testing.assert_allclose(out, t_out, **TOL)
    np.testing.assert_allclose(dx, t_dx, **TOL)


def test_convolution_pairs_dilation_groups_sweep():
    rng = np.random.default_rng(5)
    for trial in range(40):
        groups = int(rng.choice([1, 2, 3]))
        N, C, FN = int(rng.integers(1, 3)), groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        H, W = (int(v) for v in rng.integers(3, 10, size=2))
        stride, pad, dilation = ([int(v) for v in rng.integers(lo, hi, 2)] for lo, hi in ((1, 4), (0, 3), (1, 3)))
        FH = int(rng.integers(1, min(3, (H + 2 * pad[0] - 1) // dilation[0] + 1) + 1))
        FW = int(rng.integers(1, min(3, (W + 2 * pad[1] - 1) // dilation[1] + 1) + 1))
        if groups == C and rng.random() < 0.5:
            FN = C                                                    # depthwise
        case = f"trial {trial}: x=({N},{C},{H},{W}) W=({FN},{C // groups},{FH},{FW}) {stride=} {pad=} {dilation=} {groups=}"
        x, Wt, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((FN, C // groups, FH, FW)), rng.standard_normal(FN)
        conv = Convolution(Wt, b, tuple(stride), tuple(pad), strict=False, dilation=tuple(dilation), groups=groups)
        assert_conv_matches_torch(conv, x, Wt, b, rng, case, stride=stride, padding=pad, dilation=dilation,
                                  groups=groups)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pooling_pairs_sweep(mode):
    rng = np.random.default_rng(6)
    for trial in range(25):
        x = rng.standard_normal((2, 2) + tuple(int(v) for v in rng.integers(4, 10, size=2)))
        ph, pw = (int(v) for v in rng.integers(1, 4, size=2))
        stride = [int(v) for v in rng.integers(1, 4, size=2)]
        pad = [int(rng.integers(0, ph // 2 + 1)), int(rng.integers(0, pw // 2 + 1))]
        layer = Pooling(ph, pw, tuple(stride), tuple(pad), mode, strict=False)
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout)
        pool = F.max_pool2d if mode == "max" else F.avg_pool2d
        t_out, t_dx, _ = torch_forward_backward(lambda x: pool(x, (ph, pw), stride=stride, padding=pad), x, dout)
        case = f"trial {trial}: {x.shape=} {(ph, pw)=} {stride=} {pad=}"
        np.testing.assert_allclose(out, t_out, **TOL, err_msg=case)
        np.testing.assert_allclose(dx, t_dx, **TOL, err_msg=case)
