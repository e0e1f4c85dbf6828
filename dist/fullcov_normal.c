/* The full-covariance Normal N(mu, L Lᵀ), L = mask ⊙ reshape(lprime, Z, Z) +
 * diag(exp(logsig)): the reparameterized sample, log q of its own sample, its dist,
 * and its closed-form KL to N(0, I). */
#include "dist/internal.h"
#include <math.h>


/* ---- full covariance: L = mask ⊙ reshape(lprime, Z, Z) + diag(exp(logsig)); z = mu + L eps ----
 * z_i = mu_i + exp(ls_i) eps_i + Σ_{j<i} lp_ij eps_j, so
 * dmu_i = dz_i, dls_i = dz_i exp(ls_i) eps_i, dlp_ij = dz_i eps_j (j < i, else 0). */
static void reparam_fullcov_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *mu = node->in[0], *ls = node->in[1], *lp = node->in[2], *eps = node->in[3];
    vt_tensor *z = node->out;
    float *gmu = vt_grad(ctx, mu), *gls = vt_grad(ctx, ls), *glp = vt_grad(ctx, lp);
    int N = vt_rows(z), Z = vt_cols(z), R = vt_rows(mu);
    for (int s = 0; s < N; s++) {
        int r = s % R;
        const float *e = eps->data + (size_t)s * Z, *g = z->grad + (size_t)s * Z;
        for (int i = 0; i < Z; i++) {
            if (gmu) gmu[(size_t)r * Z + i] += g[i];
            if (gls) gls[(size_t)r * Z + i] += g[i] * expf(ls->data[(size_t)r * Z + i]) * e[i];
            if (glp)
                for (int j = 0; j < i; j++) glp[(size_t)r * Z * Z + (size_t)i * Z + j] += g[i] * e[j];
        }
    }
}

vt_tensor *vt_reparam_fullcov(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *lprime,
                              vt_tensor *eps) {
    const char *op = "vt_reparam_fullcov";
    vt_tensor *in[4] = {mu, logsig, lprime, eps};
    if (!vt_check_all(ctx, op, 4, in)) return vt_poison(ctx, op);
    int R = vt_rows(mu), Z = vt_cols(mu), ZZ;
    if (vt_rows(logsig) != R || vt_cols(logsig) != Z || vt_rows(lprime) != R ||
        !vt_int_mul(Z, Z, &ZZ) || vt_cols(lprime) != ZZ || !vt_shares_rows(mu, eps)) {
        char a[48], b[48], c[48], d[48];
        return vt_fail(ctx, "%s: mu %s, logsig %s, lprime %s, eps %s (need R x Z, R x Z, "
                       "R x Z², K·R x Z)", op, vt_shape_str(mu, a), vt_shape_str(logsig, b),
                       vt_shape_str(lprime, c), vt_shape_str(eps, d));
    }
    vt_tensor *z = vt_out_like(ctx, eps, 3, in);
    if (vt_is_poison(z)) return z;
    int N = vt_rows(eps);
    for (int s = 0; s < N; s++) {
        int r = s % R;
        const float *m = mu->data + (size_t)r * Z, *l = logsig->data + (size_t)r * Z;
        const float *L = lprime->data + (size_t)r * Z * Z, *e = eps->data + (size_t)s * Z;
        float *out = z->data + (size_t)s * Z;
        for (int i = 0; i < Z; i++) {
            double acc = m[i] + exp((double)l[i]) * e[i];
            for (int j = 0; j < i; j++) acc += (double)L[(size_t)i * Z + j] * e[j];
            out[i] = (float)acc;
        }
    }
    vt_record(ctx, op, z, reparam_fullcov_backward, 4, in, 0);
    return z;
}

/* ---- log q(z|x) for z = mu + L eps: Σ log N(eps_i; 0, 1) − Σ logsig_i ---- */
static void fullcov_logq_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *ls = node->in[1], *y = node->out;
    float *gls = vt_grad(ctx, ls);
    int N = vt_rows(y), R = vt_rows(ls), Z = vt_cols(ls);
    for (int s = 0; s < N; s++)
        for (int i = 0; i < Z; i++) gls[(size_t)(s % R) * Z + i] -= y->grad[s];
}

vt_tensor *vt_fullcov_logq_rows(vt_ctx *ctx, vt_tensor *eps, vt_tensor *logsig) {
    const char *op = "vt_fullcov_logq_rows";
    vt_tensor *in[2] = {eps, logsig};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_shares_rows(logsig, eps)) {
        char a[48], b[48];
        return vt_fail(ctx, "%s: eps %s, logsig %s (need eps K·R x Z, logsig R x Z)", op,
                       vt_shape_str(eps, a), vt_shape_str(logsig, b));
    }
    int N = vt_rows(eps), R = vt_rows(logsig), Z = vt_cols(eps);
    vt_tensor *y = vt_op_output(ctx, 2, (int[]){N, 1}, 1, &in[1]);
    if (vt_is_poison(y)) return y;
    const double half_log_2pi = 0.91893853320467274178;
    for (int s = 0; s < N; s++) {
        double acc = 0;
        for (int i = 0; i < Z; i++) {
            double e = eps->data[(size_t)s * Z + i];
            acc += -0.5 * e * e - half_log_2pi - logsig->data[(size_t)(s % R) * Z + i];
        }
        y->data[s] = (float)acc;
    }
    vt_record(ctx, op, y, fullcov_logq_backward, 2, in, 0);
    return y;
}

/* ---- full-covariance Normal ---- */
static vt_tensor *fullcov_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    d->eps = vt_randn(ctx, vt_sample_rows(ctx, "fullcov_normal.rsample", k, d->rows), d->dim);
    return d->sample = vt_reparam_fullcov(ctx, d->p[0], d->p[1], d->p[2], d->eps);
}
/* log q(z) = Σ log N(eps; 0, 1) − log|det L|, with z = mu + L eps of the last sample. */
static vt_tensor *fullcov_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    if (!d->sample || z != d->sample)
        return vt_fail(ctx, "fullcov_normal.log_prob: only its own last rsample can be scored "
                            "(it reuses that sample's noise)");
    return vt_fullcov_logq_rows(ctx, d->eps, d->p[1]);
}
const vt_dist_ops vt_fullcov_normal_ops = {"fullcov_normal", fullcov_rsample, fullcov_log_prob};

vt_dist *vt_fullcov_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *lprime) {
    if (!vt_dist_params_ok(ctx, "vt_fullcov_normal", 3, (vt_tensor *[]){mu, logsig, lprime})) return vt_dist_poison(ctx);
    vt_dist *d = vt_dist_new(ctx, &vt_fullcov_normal_ops, vt_rows(mu), vt_cols(mu));
    if (d->ops == &vt_fullcov_normal_ops) { d->p[0] = mu; d->p[1] = logsig; d->p[2] = lprime; d->flags = VT_DIST_OWN_SAMPLE; }
    return d;
}

/* KL(N(mu, LLᵀ) ‖ N(0, I)) = ½(tr LLᵀ + muᵀmu − Z) − log|L|
 *                          = KL of the diagonal part + ½ Σ_{j<i} L_ij². */
vt_tensor *vt_kl_fullcov_std(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    int Z = q->dim, ZZ;
    if (!vt_int_mul(Z, Z, &ZZ))
        return vt_fail(ctx, "vt_kl_fullcov_std: latent size %d squared passes %d", Z, INT_MAX);
    vt_tensor *mask = vt_zeros(ctx, 2, (int[]){1, ZZ});
    if (mask->flags & VT_POISON) return mask;
    for (int i = 0; i < Z; i++)
        for (int j = 0; j < i; j++) mask->data[(size_t)i * Z + j] = 1.0f;
    vt_tensor *off = vt_sum_rows(ctx, vt_square(ctx, vt_mul(ctx, q->p[2], mask)));
    return vt_axpby(ctx, 1.0f, vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]), 0.5f, off);
}

