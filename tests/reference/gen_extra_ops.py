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
cancellation (every function used is analytic, relu away from its kink).
Regenerate with:  /usr/bin/python3 tests/reference/gen_extra_ops.py > tests/reference/extra_ops.txt
"""
import math

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


# ---------------- the latent models' ops ----------------

def cstep(f, args, name, g):
    """d/d args[name] of sum(g * f(**args)) by the complex step, element by element."""
    x = args[name]
    out = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        xc = x.astype(complex)
        xc[j] += 1e-30j
        out[j] = np.sum(g * f(**dict(args, **{name: xc}))).imag / 1e-30
    return out


def softplus(x):
    return np.log(1 + np.exp(x))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def log_softmax_groups(x, c):
    """log_softmax over each group of c columns."""
    y = x.reshape(-1, c)
    m = np.max(y.real, axis=1, keepdims=True)
    return (y - m - np.log(np.sum(np.exp(y - m), axis=1, keepdims=True))).reshape(x.shape)


def rows_of(a, n):
    """a's rows repeated to n rows (row i uses row i mod rows(a))."""
    return np.tile(a, (n // a.shape[0], 1))


def grads(f, args, g, names):
    return [(n, cstep(f, args, n, g)) for n in names]


# detach_mul: stop(a) * b; d/db = a G, a gets nothing
a, b, g = randn(3, 4), randn(3, 4), randn(3, 4)
case("detach_mul", "detach_mul", [("a", a), ("b", b)], a * b, g, [("a", 0 * a), ("b", a * g)],
     note="stop(a) * b")

# scale_grad_rows: identity forward, row i of the gradient times scale_i (a constant)
x, sc, g = randn(4, 3), randn(4, 1), randn(4, 3)
case("scale_grad_rows", "scale_grad_rows", [("x", x), ("scale", sc)], x, g, [("x", sc * g)])

# straight_through: the value of hard, the gradient of soft (hard gets none)
hard = np.eye(4)[[2, 0, 3]]
soft = rng.uniform(0.05, 0.95, (3, 4))
g = randn(3, 4)
case("straight_through", "straight_through", [("hard", hard), ("soft", soft)], hard, g,
     [("hard", 0 * hard), ("soft", g)], note="hard - stop(soft) + soft")

# linear_relu: relu(x w + b), no pre-activation within 0.05 of the kink
while True:
    x, w, b = randn(4, 5), randn(5, 3), randn(1, 3)
    pre = x @ w + b
    if np.min(np.abs(pre)) > 0.05:
        break
g = randn(4, 3)
gm = g * (pre > 0)
case("linear_relu", "linear_relu", [("x", x), ("w", w), ("b", b)], np.maximum(pre, 0), g,
     [("x", gm @ w.T), ("w", x.T @ gm), ("b", gm.sum(axis=0, keepdims=True))])


# concrete (Gumbel-softmax) log-density of a log-simplex value l, per row, logits shared
# by the K samples of each row: per group log Γ(C) + (C−1) log τ + Σ(a − τ l) − C LSE(a − τ l)
def concrete_lp(logits, value, c, tau):
    t = (rows_of(logits, value.shape[0]) - tau * value).reshape(-1, c)
    m = np.max(t.real, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(t - m), axis=1))
    per = np.log(math.gamma(c)) + (c - 1) * np.log(tau) + t.sum(axis=1) - c * lse
    return per.reshape(value.shape[0], -1).sum(axis=1, keepdims=True)


def binary_lp(logits, value, tau):
    u = rows_of(logits, value.shape[0]) - tau * value
    return np.sum(np.log(tau) + u - 2 * softplus(u), axis=1, keepdims=True)


C, tau = 3, 0.7
logits, value = randn(2, 2 * C), log_softmax_groups(randn(4, 2 * C), C)
g = randn(4, 1)
f = lambda logits, value: concrete_lp(logits, value, C, tau)
args = {"logits": logits, "value": value}
case("concrete_log_prob", "concrete_log_prob", list(args.items()), f(**args), g,
     grads(f, args, g, ["logits", "value"]), attrs=[("categories", C), ("tau", tau)],
     note="2 groups of 3, 2 samples of 2 rows")
tau = 0.6
logits, value, g = randn(2, 3), 2 * randn(4, 3), randn(4, 1)
f = lambda logits, value: binary_lp(logits, value, tau)
args = {"logits": logits, "value": value}
case("binary_concrete_log_prob", "concrete_log_prob", list(args.items()), f(**args), g,
     grads(f, args, g, ["logits", "value"]), attrs=[("categories", 1), ("tau", tau)])


# discrete KLs behind the relaxed families (p's logits: one row for every row of q)
def cat_kl(logits_q, logits_p, c):
    lq = log_softmax_groups(logits_q, c)
    lp = log_softmax_groups(rows_of(logits_p, logits_q.shape[0]), c)
    return np.sum(np.exp(lq) * (lq - lp), axis=1, keepdims=True)


def bern_kl(logits_q, logits_p):
    a, b = logits_q, rows_of(logits_p, logits_q.shape[0])
    ls = lambda x: -softplus(-x)
    return np.sum(sigmoid(a) * (ls(a) - ls(b)) + sigmoid(-a) * (ls(-a) - ls(-b)), axis=1,
                  keepdims=True)


args = {"logits_q": randn(3, 2 * C), "logits_p": randn(1, 2 * C)}
g = randn(3, 1)
f = lambda logits_q, logits_p: cat_kl(logits_q, logits_p, C)
case("concrete_kl", "concrete_kl", list(args.items()), f(**args), g,
     grads(f, args, g, ["logits_q", "logits_p"]), attrs=[("categories", C), ("tau", 0.5)])
args = {"logits_q": randn(3, 4), "logits_p": randn(1, 4)}
case("binary_concrete_kl", "concrete_kl", list(args.items()), bern_kl(**args), g,
     grads(bern_kl, args, g, ["logits_q", "logits_p"]), attrs=[("categories", 1), ("tau", 0.5)])

# the relaxed draws for given noise: l = log_softmax((a + g)/τ) per group (Gumbel g),
# t = (a + L)/τ (logistic L); the noise is a constant
tau = 0.8
logits = randn(2, 2 * C)
noise = -np.log(-np.log(rng.uniform(0.01, 0.99, (4, 2 * C))))
g = randn(4, 2 * C)
f = lambda logits: log_softmax_groups((rows_of(logits, 4) + noise) / tau, C)
case("gumbel_softmax_relax", "concrete_relax", [("logits", logits), ("noise", noise)],
     f(logits), g, grads(f, {"logits": logits}, g, ["logits"]),
     attrs=[("categories", C), ("tau", tau)])
logits = randn(2, 3)
u = rng.uniform(0.01, 0.99, (4, 3))
noise = np.log(u) - np.log1p(-u)
g = randn(4, 3)
case("binary_concrete_relax", "concrete_relax", [("logits", logits), ("noise", noise)],
     (rows_of(logits, 4) + noise) / tau, g, [("logits", (g / tau).reshape(2, 2, 3).sum(axis=0))],
     attrs=[("categories", 1), ("tau", tau)])

# what the decoder sees: exp(l) / sigmoid(t); straight-through: the exact one-hot of each
# group's argmax (the bits t > 0) forward, the relaxed value's gradient
z = log_softmax_groups(2 * randn(3, 2 * C), C)
g = randn(3, 2 * C)
onehot = (z.reshape(-1, C) == z.reshape(-1, C).max(axis=1, keepdims=True)).astype(float)
for st, out in ((0, np.exp(z)), (1, onehot.reshape(z.shape))):
    case("relaxed_onehot_c3_st%d" % st, "relaxed_onehot", [("z", z)], out, g,
         [("z", g * np.exp(z))], attrs=[("categories", C), ("st", st)])
z, g = 2 * randn(3, 4), randn(3, 4)
for st, out in ((0, sigmoid(z)), (1, (z > 0).astype(float))):
    case("relaxed_onehot_bits_st%d" % st, "relaxed_onehot", [("z", z)], out, g,
         [("z", g * sigmoid(z) * (1 - sigmoid(z)))], attrs=[("categories", 1), ("st", st)])


# planar flow steps on a given base draw (params shared by the K samples of each row)
def planar(z0, params, depth, want_log_det):
    zc, p = z0, rows_of(params, z0.shape[0])
    n = z0.shape[1]
    log_det = 0
    for l in range(depth):
        c0 = l * (2 * n + 1)
        u, w, b = p[:, c0:c0 + n], p[:, c0 + n:c0 + 2 * n], p[:, c0 + 2 * n:c0 + 2 * n + 1]
        wu = np.sum(w * u, axis=1, keepdims=True)
        m = -1 + softplus(wu)
        u_hat = u + w * (m - wu) / (np.sum(w * w, axis=1, keepdims=True) + 1e-12)
        h = np.tanh(np.sum(w * zc, axis=1, keepdims=True) + b)
        log_det = log_det + np.log(1 + (1 - h * h) * m)
        zc = zc + u_hat * h
    return log_det if want_log_det else zc


depth = 2
args = {"z0": randn(4, 2), "params": 0.7 * randn(2, depth * 5)}
for op, want, shape in (("planar_transform", 0, (4, 2)), ("planar_log_det", 1, (4, 1))):
    g = randn(*shape)
    f = lambda z0, params: planar(z0, params, depth, want)
    case(op, op, list(args.items()), f(**args), g, grads(f, args, g, ["z0", "params"]),
         attrs=[("depth", depth)], note="2 steps, Z 2, params shared by 2 samples")


# the IAF's MADE: h = relu(z (W1 ⊙ M1) + b1); mean = h (Wm ⊙ M2) + bm; gate = h (Ws ⊙ M2) + bs
def made(z, w1, b1, wm, bm, ws, bs, want_gate):
    h = z @ (w1 * mask1) + b1
    h = np.where(h.real > 0, h, 0)
    return h @ (ws * mask2) + bs if want_gate else h @ (wm * mask2) + bm


Z, H = 3, 4
d_in = np.arange(1, Z + 1)                    # input i has degree i + 1
d_hid = 1 + np.arange(H) % (Z - 1)            # hidden unit j: 1 + (j mod (Z − 1))
mask1 = (d_hid[None, :] >= d_in[:, None]).astype(float)
mask2 = (d_in[None, :] > d_hid[:, None]).astype(float)
while True:
    args = {"z": randn(3, Z), "w1": randn(Z, H), "b1": randn(1, H), "wm": randn(H, Z),
            "bm": randn(1, Z), "ws": randn(H, Z), "bs": randn(1, Z)}
    pre = args["z"] @ (args["w1"] * mask1) + args["b1"]
    if np.min(np.abs(pre)) > 0.05:
        break
for op, want in (("made_mean", 0), ("made_gate", 1)):
    g = randn(3, Z)
    f = lambda **kw: made(**kw, want_gate=want)
    case(op, op, list(args.items()) + [("mask1", mask1), ("mask2", mask2)], f(**args), g,
         grads(f, args, g, list(args)), note="Z 3, H 4, masks by degree")


# continuous Bernoulli: log C(η) = log(η / tanh(η/2)), then Σ x η − softplus(η) + log C(η)
def log_norm(x):
    return np.log(x / np.tanh(x / 2))


x = np.array([[0.004, -0.006, 0.5, -2.0], [5.0, -0.03, 1.3, 12.0]])
g = randn(2, 4)
case("cont_bernoulli_log_norm", "cont_bernoulli_log_norm", [("x", x)], log_norm(x), g,
     grads(lambda x: log_norm(x), {"x": x}, g, ["x"]), note="both sides of the Taylor switch |x| < 0.01")
logits, xs = 2 * randn(3, 4), rng.uniform(0, 1, (3, 4))
g = randn(3, 1)
f = lambda logits: np.sum(xs * logits - softplus(logits) + log_norm(logits), axis=1, keepdims=True)
case("cont_bernoulli_log_prob", "cont_bernoulli_log_prob", [("logits", logits), ("x", xs)],
     f(logits), g, grads(f, {"logits": logits}, g, ["logits"]))
