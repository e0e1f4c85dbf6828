"""The latent models' reference cases, written by gen_extra_ops.py after its own on the
same random stream: stop-gradient, per-row gradient scaling, straight-through, linear +
relu, the relaxed draws for given noise, their log-densities, decoder values and
discrete KLs, the planar flow's steps, the IAF's MADE, the continuous Bernoulli.
Gradients without a short closed form are complex-step derivatives of the same
definitions, Im f(x + ih)/h with h = 1e-30: exact to float64 rounding, with no
cancellation (every function used is analytic, relu away from its kink)."""
import math

import numpy as np


def cstep(f, args, name, g):
    """d/d args[name] of sum(g * f(**args)) by the complex step, element by element."""
    x = args[name]
    out = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        xc = x.astype(complex)
        xc[j] += 1e-30j
        out[j] = np.sum(g * f(**dict(args, **{name: xc}))).imag / 1e-30
    return out


def grads(f, args, g, names):
    return [(n, cstep(f, args, n, g)) for n in names]


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


def stop_gradient_cases(case, randn, rng):
    # detach_mul: stop(a) * b; d/db = a G, a gets nothing
    a, b, g = randn(3, 4), randn(3, 4), randn(3, 4)
    case("detach_mul", "detach_mul", [("a", a), ("b", b)], a * b, g,
         [("a", 0 * a), ("b", a * g)], note="stop(a) * b")
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


def concrete_lp(logits, value, c, tau):
    """Per row: Σ over groups of log Γ(C) + (C−1) log τ + Σ(a − τ l) − C LSE(a − τ l),
    logits shared by the K samples of each row."""
    t = (rows_of(logits, value.shape[0]) - tau * value).reshape(-1, c)
    m = np.max(t.real, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(t - m), axis=1))
    per = np.log(math.gamma(c)) + (c - 1) * np.log(tau) + t.sum(axis=1) - c * lse
    return per.reshape(value.shape[0], -1).sum(axis=1, keepdims=True)


def binary_lp(logits, value, tau):
    u = rows_of(logits, value.shape[0]) - tau * value
    return np.sum(np.log(tau) + u - 2 * softplus(u), axis=1, keepdims=True)


def cat_kl(logits_q, logits_p, c):
    lq = log_softmax_groups(logits_q, c)
    lp = log_softmax_groups(rows_of(logits_p, logits_q.shape[0]), c)
    return np.sum(np.exp(lq) * (lq - lp), axis=1, keepdims=True)


def bern_kl(logits_q, logits_p):
    a, b = logits_q, rows_of(logits_p, logits_q.shape[0])
    ls = lambda x: -softplus(-x)
    return np.sum(sigmoid(a) * (ls(a) - ls(b)) + sigmoid(-a) * (ls(-a) - ls(-b)), axis=1,
                  keepdims=True)


def density_cases(case, randn, rng):
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
    # the discrete KLs behind the relaxed families (p's logits: one row for all of q's)
    args = {"logits_q": randn(3, 2 * C), "logits_p": randn(1, 2 * C)}
    g = randn(3, 1)
    f = lambda logits_q, logits_p: cat_kl(logits_q, logits_p, C)
    case("concrete_kl", "concrete_kl", list(args.items()), f(**args), g,
         grads(f, args, g, ["logits_q", "logits_p"]), attrs=[("categories", C), ("tau", 0.5)])
    args = {"logits_q": randn(3, 4), "logits_p": randn(1, 4)}
    case("binary_concrete_kl", "concrete_kl", list(args.items()), bern_kl(**args), g,
         grads(bern_kl, args, g, ["logits_q", "logits_p"]),
         attrs=[("categories", 1), ("tau", 0.5)])


def draw_cases(case, randn, rng):
    # the relaxed draws for given noise: l = log_softmax((a + g)/τ) per group (Gumbel g),
    # t = (a + L)/τ (logistic L); the noise is a constant
    C, tau = 3, 0.8
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
         (rows_of(logits, 4) + noise) / tau, g,
         [("logits", (g / tau).reshape(2, 2, 3).sum(axis=0))],
         attrs=[("categories", 1), ("tau", tau)])
    # what the decoder sees: exp(l) / sigmoid(t); straight-through: the exact one-hot of
    # each group's argmax (the bits t > 0) forward, the relaxed value's gradient
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


def planar(z0, params, depth, want_log_det):
    """The planar steps on a base draw, params shared by the K samples of each row."""
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


def flow_cases(case, randn, rng):
    depth = 2
    args = {"z0": randn(4, 2), "params": 0.7 * randn(2, depth * 5)}
    for op, want, shape in (("planar_transform", 0, (4, 2)), ("planar_log_det", 1, (4, 1))):
        g = randn(*shape)
        f = lambda z0, params: planar(z0, params, depth, want)
        case(op, op, list(args.items()), f(**args), g, grads(f, args, g, ["z0", "params"]),
             attrs=[("depth", depth)], note="2 steps, Z 2, params shared by 2 samples")
    # the IAF's MADE: h = relu(z (W1 ⊙ M1) + b1); mean = h (Wm ⊙ M2) + bm; gate likewise
    Z, H = 3, 4
    d_in = np.arange(1, Z + 1)                    # input i has degree i + 1
    d_hid = 1 + np.arange(H) % (Z - 1)            # hidden unit j: 1 + (j mod (Z − 1))
    mask1 = (d_hid[None, :] >= d_in[:, None]).astype(float)
    mask2 = (d_in[None, :] > d_hid[:, None]).astype(float)

    def made(z, w1, b1, wm, bm, ws, bs, want_gate):
        h = z @ (w1 * mask1) + b1
        h = np.where(h.real > 0, h, 0)
        return h @ (ws * mask2) + bs if want_gate else h @ (wm * mask2) + bm

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
    # with a context h (C 2 columns) entering the hidden layer unmasked: z W1⊙M1 + h Wc + b1
    def made_context(z, h, w1, wc, b1, wm, bm, ws, bs, want_gate):
        a = z @ (w1 * mask1) + h @ wc + b1
        a = np.where(a.real > 0, a, 0)
        return a @ (ws * mask2) + bs if want_gate else a @ (wm * mask2) + bm

    while True:
        args = {"z": randn(3, Z), "h": randn(3, 2), "w1": randn(Z, H), "wc": randn(2, H),
                "b1": randn(1, H), "wm": randn(H, Z), "bm": randn(1, Z), "ws": randn(H, Z),
                "bs": randn(1, Z)}
        pre = args["z"] @ (args["w1"] * mask1) + args["h"] @ args["wc"] + args["b1"]
        if np.min(np.abs(pre)) > 0.05:
            break
    for op, want in (("made_context_mean", 0), ("made_context_gate", 1)):
        g = randn(3, Z)
        f = lambda **kw: made_context(**kw, want_gate=want)
        case(op, op, list(args.items()) + [("mask1", mask1), ("mask2", mask2)], f(**args), g,
             grads(f, args, g, list(args)), note="Z 3, H 4, context 2, masks by degree")


def log_norm(x):
    """The continuous Bernoulli's log C(η) = log(η / tanh(η/2))."""
    return np.log(x / np.tanh(x / 2))


def cont_bernoulli_cases(case, randn, rng):
    x = np.array([[0.004, -0.006, 0.5, -2.0], [5.0, -0.03, 1.3, 12.0]])
    g = randn(2, 4)
    case("cont_bernoulli_log_norm", "cont_bernoulli_log_norm", [("x", x)], log_norm(x), g,
         grads(lambda x: log_norm(x), {"x": x}, g, ["x"]),
         note="both sides of the Taylor switch |x| < 0.01")
    logits, xs = 2 * randn(3, 4), rng.uniform(0, 1, (3, 4))
    g = randn(3, 1)
    f = lambda logits: np.sum(xs * logits - softplus(logits) + log_norm(logits), axis=1,
                              keepdims=True)
    case("cont_bernoulli_log_prob", "cont_bernoulli_log_prob", [("logits", logits), ("x", xs)],
         f(logits), g, grads(f, {"logits": logits}, g, ["logits"]))


def emit(case, randn, rng):
    for part in (stop_gradient_cases, density_cases, draw_cases, flow_cases,
                 cont_bernoulli_cases):
        part(case, randn, rng)
