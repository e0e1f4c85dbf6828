/* The straight-through Gumbel-softmax estimator (Jang et al. 2017):
 *   - vt_straight_through: the forward is hard exactly, the backward the identity into
 *     soft (gradcheck with hard = stop(soft), where the op is the identity);
 *   - vt_relaxed_onehot with straight_through: every group of a concrete draw is an
 *     exact one-hot, at the category the exact (hard) draw of the same noise picks;
 *     relaxed-Bernoulli bits are exactly t > 0; and the gradient with respect to the
 *     logits equals the relaxed value's (same noise);
 *   - the VAE's decoder sees the exact one-hot; the option survives the configuration
 *     text and is refused for Gaussian latents. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

Test(straight_through, forward_is_hard_backward_is_soft) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *a = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){0.3f, -1, 2}));
    vt_tensor *soft = vt_sigmoid(ctx, a);
    vt_tensor *hard = vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){0, 1, 1});
    vt_tensor *y = vt_straight_through(ctx, hard, soft);
    for (int i = 0; i < 3; i++) cr_assert_eq(y->data[i], hard->data[i]);
    vt_tensor *w = vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){1, -2, 0.5f});
    cr_assert_eq(vt_backward(ctx, vt_sum(ctx, vt_mul(ctx, y, w)), NULL), 0);
    for (int i = 0; i < 3; i++) {   /* d/da Σ w·sigmoid(a) */
        float s = soft->data[i];
        cr_assert_float_eq(a->grad[i], w->data[i] * s * (1 - s), 1e-7);
    }
    vt_ctx_reset(ctx);
    vt_tensor *bad = vt_straight_through(ctx, vt_zeros(ctx, 2, (int[]){1, 2}), vt_zeros(ctx, 2, (int[]){2, 1}));
    cr_assert(bad->flags & VT_POISON);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "vt_straight_through: hard 1 x 2 and soft 2 x 1 differ"),
                       "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

/* With hard = stop(soft) the op is the identity: its backward must be the derivative. */
static vt_tensor *identity_st(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    vt_tensor *soft = vt_tanh(ctx, in[0]);
    return vt_straight_through(ctx, vt_detach(ctx, soft), soft);
}

Test(gradcheck_straight_through, identity_when_hard_is_the_soft_value) {
    float v[6] = {0.1f, -0.7f, 1.2f, 0.4f, -0.2f, 0.9f};
    vt_tensor *x = vt_leaf_new(2, (int[]){2, 3}, v);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_gradcheck_report rep;
    cr_assert(vt_gradcheck(ctx, identity_st, 1, &x, NULL, NULL, &rep), "%g %s", rep.max_abs_err, rep.error);
    vt_ctx_free(ctx);
    vt_leaf_free(x);
}

enum { R = 3, G = 2, C = 4 };

/* Decoder input of a draw of the family (C categories, or binary when categories is 1)
 * at logits a, noise of step 0 of seed 9; grads of Σ w·input into ga. */
static void decoder_input(int categories, int st, int hard_draw, float *value, float *ga) {
    int cols = categories == 1 ? G : G * C;
    float a0[R * G * C], w0[R * G * C];
    vt_test_fill_normal(a0, (size_t)R * cols, 1.0f, 3);
    vt_test_fill_normal(w0, (size_t)R * cols, 1.0f, 4);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 9});
    vt_tensor *a = vt_requires_grad(vt_from_data(ctx, 2, (int[]){R, cols}, a0));
    vt_dist *q = categories == 1 ? vt_binary_concrete(ctx, a, 0.7f, hard_draw)
                                 : vt_concrete(ctx, a, categories, 0.7f, hard_draw);
    vt_tensor *y = vt_relaxed_onehot(ctx, vt_dist_rsample(ctx, q, 1), vt_concrete_categories(q), st);
    memcpy(value, y->data, vt_numel(y) * sizeof(float));
    if (!hard_draw) {
        vt_tensor *w = vt_from_data(ctx, 2, (int[]){R, cols}, w0);
        cr_assert_eq(vt_backward(ctx, vt_sum(ctx, vt_mul(ctx, y, w)), NULL), 0, "%s", vt_ctx_error(ctx));
        memcpy(ga, a->grad, vt_numel(a) * sizeof(float));
    }
    vt_ctx_free(ctx);
}

static void check_family(int categories) {
    int n = R * (categories == 1 ? G : G * C);
    float st[R * G * C], relaxed[R * G * C], exact[R * G * C], g_st[R * G * C], g_rel[R * G * C];
    decoder_input(categories, 1, 0, st, g_st);
    decoder_input(categories, 0, 0, relaxed, g_rel);
    decoder_input(categories, 0, 1, exact, NULL);
    for (int i = 0; i < n; i++) {
        cr_assert(st[i] == 0.0f || st[i] == 1.0f, "value %d is %g, not 0 or 1", i, st[i]);
        cr_assert_eq(st[i], exact[i], "value %d: %g, the exact draw of the same noise %g", i,
                     st[i], exact[i]);
        cr_assert(relaxed[i] > 0 && relaxed[i] < 1);
        /* the same backward through exp/sigmoid of the same relaxed draw: bit for bit */
        cr_assert_eq(g_st[i], g_rel[i], "gradient %d: %g vs relaxed %g", i, g_st[i], g_rel[i]);
    }
    if (categories > 1)
        for (int g = 0; g < n / C; g++) {
            float s = 0;
            for (int i = 0; i < C; i++) s += st[g * C + i];
            cr_assert_eq(s, 1.0f, "group %d is not one-hot", g);
        }
}

Test(straight_through, gumbel_softmax_is_an_exact_one_hot_with_the_relaxed_gradient) { check_family(C); }
Test(straight_through, relaxed_bernoulli_bits_with_the_relaxed_gradient) { check_family(1); }

Test(straight_through, the_vae_decoder_sees_the_one_hot_and_the_option_is_kept) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 6, cfg.n_hidden = 0, cfg.latent = G, cfg.categories = C;
    cfg.latent_type = VT_LATENT_GUMBEL, cfg.straight_through = 1;
    vt_vae v;
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_ctx *ctx = vt_ctx_new(NULL);
    /* a relaxed value l and the exact one-hot of its argmax, in log space */
    float l[G * C] = {-2, -0.5f, -1, -3, -0.2f, -4, -1, -2}, h[G * C];
    for (int i = 0; i < G * C; i++) h[i] = i == 1 || i == 4 ? 0.0f : -1e30f;
    vt_dist *with_st = v.model.likelihood(ctx, &v.model, vt_from_data(ctx, 2, (int[]){1, G * C}, l), NULL);
    cfg.straight_through = 0;
    v.cfg.straight_through = 0;
    vt_dist *exact = v.model.likelihood(ctx, &v.model, vt_from_data(ctx, 2, (int[]){1, G * C}, h), NULL);
    for (int i = 0; i < 6; i++) cr_assert_eq(with_st->p[0]->data[i], exact->p[0]->data[i]);
    char text[1024];
    v.cfg.straight_through = 1;
    cr_assert_eq(vt_vae_config_format(&v.cfg, text, sizeof text), 0);
    vt_vae_config back;
    cr_assert_eq(vt_vae_config_parse(&back, text, NULL), 0, "%s", text);
    cr_assert_eq(back.straight_through, 1);
    cfg.latent_type = VT_LATENT_GAUSSIAN, cfg.straight_through = 1;
    vt_vae bad;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(&bad, &cfg, &err), -1);
    cr_assert_not_null(strstr(err.msg, "straight-through applies to gumbel and bernoulli"), "%s", err.msg);
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}
