#!/usr/bin/python3
"""Float64 reference cases for the ops that ../shared/reference does not cover:
matmul_ta, axpby, add_scalar, clamp_min, mean_cols, reshape, repeat_rows; and those the
latent models added: stop-gradient, per-row gradient scaling, straight-through, linear +
relu, the relaxed (concrete / Gumbel-softmax and relaxed Bernoulli) draws for given
noise, their log-densities, decoder values and discrete KLs, the planar flow's steps and
log-determinant, the IAF's MADE, the continuous Bernoulli's normalizer and density.

Forward values and the gradients of sum(out * G) are written out from their
definitions with numpy in float64 (format: ../shared/reference/README.md). Where a
gradient has no short closed form it is the complex-step derivative of the same
definition, Im f(x + ih)/h with h = 1e-30: exact to float64 rounding, with no
cancellation (every function used is analytic, relu away from its kink). The latent
models' cases are written by tests/reference/latent_cases.py.
Regenerate with:  /usr/bin/python3 -B tests/reference/gen_extra_ops.py > tests/reference/extra_ops.txt
"""
import os
import sys

import numpy as np

rng = np.random.default_rng(20261202)


def fmt(t):
    return " ".join(str(d) for d in t.shape) + " : " + " ".join("%.17g" % v for v in t.ravel())


def case(name, op, ins, out, gout, gins, attrs=(), note=None):
    print("case " + name)
    print("op " + op)
    if note:
        print("attr note " + note)
    for k, v in attrs:
        print("attr %s %s" % (k, v))
    for k, v in ins:
        print("in %s %d %s" % (k, v.ndim, fmt(v)))
    print("out %d %s" % (out.ndim, fmt(out)))
    print("gout %d %s" % (gout.ndim, fmt(gout)))
    for k, v in gins:
        print("gin %s %d %s" % (k, v.ndim, fmt(v)))
    print("end")


def randn(*shape):
    return rng.standard_normal(shape)


print("# vtape extra reference cases, float64, numpy %s (tests/reference/gen_extra_ops.py)"
      % np.__version__)

# matmul_ta: a K x M, b K x N -> a^T b (M x N); d/da = b G^T, d/db = a G
a, b = randn(6, 4), randn(6, 3)
g = randn(4, 3)
case("matmul_ta", "matmul_ta", [("a", a), ("b", b)], a.T @ b, g,
     [("a", b @ g.T), ("b", a @ g)], note="a^T @ b")

# axpby: sa a + sb b; gradients sa G and sb G
a, b, g = randn(3, 5), randn(3, 5), randn(3, 5)
sa, sb = 0.75, -1.5
case("axpby", "axpby", [("a", a), ("b", b)], sa * a + sb * b, g, [("a", sa * g), ("b", sb * g)],
     attrs=[("sa", sa), ("sb", sb)])

# add_scalar: x + c; gradient G
x, g, c = randn(4, 3), randn(4, 3), -0.625
case("add_scalar", "add_scalar", [("x", x)], x + c, g, [("x", g)], attrs=[("c", c)])

# clamp_min: max(x, floor); gradient G where x > floor (no x within 0.05 of the floor)
x = randn(5, 4)
floor = 0.25
x[np.abs(x - floor) < 0.05] += 0.2
g = randn(5, 4)
case("clamp_min", "clamp_min", [("x", x)], np.maximum(x, floor), g, [("x", g * (x > floor))],
     attrs=[("floor", floor)])

# mean_cols: R x D -> 1 x D mean over rows; gradient G / R on every row
x, g = randn(5, 3), randn(1, 3)
case("mean_cols", "mean_cols", [("x", x)], x.mean(axis=0, keepdims=True), g,
     [("x", np.repeat(g / 5.0, 5, axis=0))])

# reshape: same values in a new shape; the gradient is G in the input's shape
x = randn(2, 6)
g = randn(3, 4)
case("reshape_2d", "reshape", [("x", x)], x.reshape(3, 4), g, [("x", g.reshape(2, 6))])
g = randn(2, 3, 2)
case("reshape_3d", "reshape", [("x", x)], x.reshape(2, 3, 2), g, [("x", g.reshape(2, 6))])

# repeat_rows: R x D -> (K R) x D, copy k of row r at row k R + r; gradient sums the copies
x, k = randn(3, 4), 3
g = randn(k * 3, 4)
case("repeat_rows", "repeat_rows", [("x", x)], np.tile(x, (k, 1)), g,
     [("x", g.reshape(k, 3, 4).sum(axis=0))], attrs=[("k", k)])

# the latent models' ops (tests/reference/latent_cases.py), on the same stream
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latent_cases  # noqa: E402

latent_cases.emit(case, randn, rng)
