/* Hostile use of the C API: NULL contexts, stores, models, optimizers and callbacks;
 * sizes whose products overflow; anomaly mode naming where a NaN is born. Every call
 * must return an error or poison, never crash or touch memory it does not own (the
 * sanitizer build runs this suite with the arena poisoned). */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "vtape/opkit.h"
#include "vtape/vtape.h"

static int is_poison(const vt_tensor *t) { return t && (t->flags & VT_POISON); }
static void no_backward(vt_ctx *ctx, vt_node *node) { (void)ctx, (void)node; }

Test(null_ctx, every_op_returns_poison) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *a = vt_zeros(ctx, 2, (int[]){2, 2});
    cr_assert(is_poison(vt_matmul(NULL, a, a)));
    cr_assert(is_poison(vt_matmul_tb(NULL, a, a)));
    cr_assert(is_poison(vt_linear(NULL, a, a, NULL)));
    cr_assert(is_poison(vt_linear_relu(NULL, a, a, NULL)));
    cr_assert(is_poison(vt_exp(NULL, a)));
    cr_assert(is_poison(vt_log(NULL, NULL)));
    cr_assert(is_poison(vt_add(NULL, a, a)));
    cr_assert(is_poison(vt_axpby(NULL, 1, a, 1, a)));
    cr_assert(is_poison(vt_sum(NULL, a)));
    cr_assert(is_poison(vt_logsumexp_rows(NULL, a)));
    cr_assert(is_poison(vt_logmeanexp_samples(NULL, a)));
    cr_assert(is_poison(vt_concat_cols(NULL, a, a)));
    cr_assert(is_poison(vt_slice_cols(NULL, a, 0, 1)));
    cr_assert(is_poison(vt_reshape(NULL, a, 1, (int[]){4})));
    cr_assert(is_poison(vt_repeat_rows(NULL, a, 2)));
    cr_assert(is_poison(vt_reparam_diag(NULL, a, a, a)));
    cr_assert(is_poison(vt_bce_logits_rows(NULL, a, a)));
    cr_assert(is_poison(vt_kl_normal_std_rows(NULL, a, a)));
    cr_assert(is_poison(vt_mog_logprob_rows(NULL, a, a, a, a)));
    cr_assert(is_poison(vt_tensor_new(NULL, 2, (int[]){2, 2})));
    cr_assert(is_poison(vt_zeros(NULL, 2, (int[]){2, 2})));
    cr_assert(is_poison(vt_from_data(NULL, 1, (int[]){1}, (float[]){1})));
    cr_assert(is_poison(vt_scalar(NULL, 1)));
    cr_assert(is_poison(vt_randn(NULL, 2, 2)));
    cr_assert(is_poison(vt_randu(NULL, 2, 2)));
    cr_assert(is_poison(vt_fail(NULL, "x")));
    cr_assert(is_poison(vt_op_output(NULL, 2, (int[]){1, 1}, 0, NULL)));
    cr_assert_null(vt_record(NULL, "x", a, NULL, 0, NULL, 0));
    cr_assert_null(vt_arena_alloc(NULL, 16));
    cr_assert_null(vt_grad(NULL, a));
    cr_assert_eq(vt_backward(NULL, a, NULL), -1);
    cr_assert_eq(vt_check(NULL, "x", a), 0);
    vt_ctx_free(ctx);
}

Test(null_ctx, context_functions_are_safe) {
    cr_assert_eq(vt_set_grad_enabled(NULL, 0), 0);
    cr_assert_eq(vt_grad_enabled(NULL), 0);
    cr_assert_eq(vt_set_anomaly(NULL, 1), 0);
    cr_assert_null(vt_ctx_set_scope(NULL, "x"));
    cr_assert_not_null(vt_ctx_error(NULL));
    vt_ctx_reset(NULL);
    vt_ctx_clear_error(NULL);
    vt_ctx_free(NULL);
    vt_ctx_set_step(NULL, 3);
    cr_assert_eq(vt_ctx_step(NULL), 0);
    cr_assert_eq(vt_ctx_arena_used(NULL), 0);
    cr_assert_eq(vt_ctx_arena_capacity(NULL), 0);
    cr_assert_eq(vt_ctx_threads(NULL), 0);
    cr_assert_eq(vt_ctx_tape_len(NULL), 0);
    cr_assert_eq(vt_ctx_seed(NULL), 0);
}

Test(null_ctx, dists_and_layers) {
    cr_assert_not_null(vt_std_normal(NULL, 2, 2));
    cr_assert(is_poison(vt_dist_rsample(NULL, NULL, 1)));
    cr_assert(is_poison(vt_kl(NULL, NULL, NULL)));
    cr_assert(is_poison(vt_activate(NULL, VT_ACT_RELU, NULL)));
    cr_assert(is_poison(vt_mlp_forward(NULL, NULL, NULL)));
    cr_assert(is_poison(vt_one_hot_tensor(NULL, (const uint8_t[]){1}, 1, 2)));
}

Test(null_store, store_and_optimizer_calls) {
    cr_assert_null(vt_store_values(NULL));
    cr_assert_null(vt_store_grads(NULL));
    cr_assert_null(vt_store_slot(NULL, 0));
    cr_assert_null(vt_store_get(NULL, 0));
    cr_assert_eq(vt_store_count(NULL), 0);
    cr_assert_eq(vt_store_numel(NULL), 0);
    vt_store_zero_grad(NULL);
    vt_store_free(NULL);
    vt_error err = {0};
    cr_assert_null(vt_store_param(NULL, "w", 1, (int[]){1}, &err));
    cr_assert_eq(err.code, VT_EARG);
    cr_assert_null(vt_optim_new(NULL, NULL, &err));
    cr_assert_lt(vt_optim_step(NULL, 0.1f, &err), 0);
    cr_assert_null(vt_optim_get_config(NULL));
    cr_assert_eq(vt_optim_get_step(NULL), 0);
    cr_assert_eq(vt_optim_state_slots(NULL, (int[VT_OPTIM_MAX_SLOTS]){0}), 0);
    cr_assert_lt(vt_optim_set_step(NULL, 1, &err), 0);
    vt_optim_free(NULL);
    cr_assert_eq(vt_clip_grad_norm(NULL, 1.0f), 0.0f);   /* the norm of no gradients */
    cr_assert_lt(vt_checkpoint_save("/tmp/x", "", NULL, NULL, NULL, &err), 0);
    cr_assert_lt(vt_checkpoint_load("/nonexistent", NULL, NULL, NULL, &err), 0);
}

Test(null_model, elbo_refuses_null_model_callbacks_and_bad_k) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){2, 4});
    vt_elbo_terms t;
    cr_assert_eq(vt_elbo(ctx, NULL, x, NULL, NULL, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "NULL"));
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){2, 4});
    vt_latent_model empty = {0};
    cr_assert_eq(vt_elbo(ctx, &empty, x, NULL, NULL, &t), -1);
    cr_assert_eq(vt_elbo(NULL, &empty, x, NULL, NULL, &t), -1);
    cr_assert_eq(vt_elbo(ctx, &empty, x, NULL, NULL, NULL), -1);

    vt_vae v;
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 4, cfg.n_hidden = 1, cfg.hidden[0] = 3, cfg.latent = 2;
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){2, 4});
    vt_elbo_opts o = vt_elbo_defaults();
    o.k = -3;
    cr_assert_eq(vt_vae_loss(ctx, &v, x, NULL, &o, &t), -1, "negative k accepted");
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "k = -3"), "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){2, 4});
    o.k = INT_MAX / 2 + 1;   /* k x batch passes INT_MAX */
    cr_assert_eq(vt_vae_loss(ctx, &v, x, NULL, &o, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "samples of"), "%s", vt_ctx_error(ctx));
    vt_vae_free(&v);
    vt_ctx_free(ctx);
}

Test(overflow, shapes_whose_element_count_wraps_are_refused) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    /* 65536 x 65536 wraps a 32-bit count to 0; 2^16 · 2^16 · 2 · 2^31 wraps 64 bits. */
    cr_assert(is_poison(vt_tensor_new(ctx, 2, (int[]){65536, 65536})));
    vt_ctx_reset(ctx);
    cr_assert(is_poison(vt_tensor_new(ctx, 4, (int[]){65536, 65536, 2, INT_MAX})));
    vt_ctx_reset(ctx);
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){4, 1});
    cr_assert(is_poison(vt_reshape(ctx, x, 4, (int[]){65536, 65536, 65536, 65536})));
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){4, 1});
    cr_assert(is_poison(vt_repeat_rows(ctx, x, INT_MAX / 2)), "k·rows wrapped");
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){4, 1});
    cr_assert(is_poison(vt_repeat_rows(ctx, x, -2)));
    cr_assert(is_poison(vt_repeat_rows(ctx, x, 0)));
    vt_store *s = vt_store_new();
    vt_error err = {0};
    cr_assert_null(vt_store_param(s, "w", 2, (int[]){65536, 65536}, &err));
    cr_assert_eq(err.code, VT_ETOOBIG);
    cr_assert_null(vt_store_param(s, "v", 4, (int[]){INT_MAX, INT_MAX, INT_MAX, 4}, &err));
    vt_store_free(s);
    cr_assert_null(vt_leaf_new(4, (int[]){INT_MAX, INT_MAX, INT_MAX, 4}, NULL));
    vt_ctx_free(ctx);
}

Test(overflow, arena_refuses_sizes_it_cannot_give) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    cr_assert_null(vt_arena_alloc(ctx, SIZE_MAX));
    cr_assert_not_null(vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    cr_assert_null(vt_arena_alloc(ctx, SIZE_MAX - 10));
    vt_ctx_reset(ctx);
    cr_assert_null(vt_arena_alloc(ctx, (size_t)1 << 62));
    vt_ctx_reset(ctx);
    vt_tensor *a = vt_requires_grad(vt_zeros(ctx, 2, (int[]){1, 1}));
    vt_tensor *y = vt_op_output(ctx, 2, (int[]){1, 1}, 1, &a);
    cr_assert_null(vt_record(ctx, "huge_aux", y, no_backward, 1, &a, SIZE_MAX));
    cr_assert_not_null(vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

Test(overflow, fullcov_latent_squared) {
    vt_vae v;
    vt_vae_config cfg = vt_vae_default_config();
    cfg.latent = 46341;
    cfg.posterior = VT_POSTERIOR_FULLCOV;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), -1);
    cfg.latent = 3000;   /* Z² fits an int, but the encoder's last layer does not */
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), -1);
    cr_assert_eq(err.code, VT_ETOOBIG, "%s", err.msg);
}

/* log(-1) on the tape: anomaly mode names the op and the scope; backward refuses. */
Test(anomaly, log_of_negative_is_named_with_scope) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.anomaly = 1});
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){2, -1}));
    vt_ctx_set_scope(ctx, "KL(z)");
    vt_tensor *loss = vt_sum(ctx, vt_log(ctx, x));
    cr_assert_eq(vt_backward(ctx, loss, NULL), -1);
    const char *e = vt_ctx_error(ctx);
    cr_assert_not_null(strstr(e, "vt_log"), "%s", e);
    cr_assert_not_null(strstr(e, "KL(z)"), "%s", e);
    cr_assert_not_null(strstr(e, "NaN"), "%s", e);
    cr_assert_not_null(strstr(e, "1 x 2"), "%s", e);
    vt_ctx_free(ctx);
}

/* Without anomaly mode a NaN loss is still refused by backward, naming the first op. */
Test(anomaly, backward_refuses_nan_loss_without_anomaly_mode) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){2, -1}));
    vt_tensor *loss = vt_sum(ctx, vt_exp(ctx, vt_log(ctx, x)));
    cr_assert_eq(vt_backward(ctx, loss, NULL), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "vt_log"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

/* A finite forward whose backward is infinite: sqrt at 0 has an infinite slope. */
Test(anomaly, backward_gradient_is_checked) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_set_anomaly(ctx, 1);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){0, 4}));
    vt_tensor *loss = vt_sum(ctx, vt_sqrt(ctx, x));
    cr_assert_eq(vt_backward(ctx, loss, NULL), -1);
    const char *e = vt_ctx_error(ctx);
    cr_assert_not_null(strstr(e, "backward of vt_sqrt"), "%s", e);
    cr_assert_not_null(strstr(e, "+inf"), "%s", e);
    /* the same tape without anomaly mode goes through */
    vt_ctx_reset(ctx);
    vt_set_anomaly(ctx, 0);
    x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){0, 4}));
    cr_assert_eq(vt_backward(ctx, vt_sum(ctx, vt_sqrt(ctx, x)), NULL), 0);
    vt_ctx_free(ctx);
}

/* The ELBO labels its terms: a NaN decoder weight is reported inside the likelihood. */
Test(anomaly, elbo_names_the_term) {
    vt_vae v;
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 4, cfg.n_hidden = 1, cfg.hidden[0] = 3, cfg.latent = 2;
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_tensor *w = vt_store_get(v.store, vt_store_count(v.store) - 1);   /* a decoder bias */
    w->data[0] = NAN;
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.anomaly = 1});
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){2, 4});
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, &v, x, NULL, NULL, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "likelihood"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

Test(null_model, vae_entry_points) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){2, 4});
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, NULL, x, NULL, NULL, &t), -1);
    cr_assert_eq(vt_beta_vae_loss(ctx, NULL, x, NULL, NULL, NULL, 0, &t), -1);
    cr_assert(is_poison(vt_vae_generate(ctx, NULL, 2, NULL)));
    cr_assert(is_poison(vt_vae_reconstruct(ctx, NULL, x, NULL)));
    cr_assert(is_poison(vt_vae_decode_mean(ctx, NULL, x, NULL)));
    cr_assert(is_poison(vt_cvae_generate_class(ctx, NULL, 2, 0)));
    cr_assert_eq(vt_vae_init(NULL, NULL, NULL), VT_EARG);
    cr_assert_lt(vt_cvae_init(NULL, NULL, 2, NULL), 0);
    cr_assert_eq(vt_log_px(ctx, NULL, NULL, NULL, 1, 4, 0, 2, 0, NULL), -1);
    cr_assert_eq(vt_log_px(NULL, NULL, NULL, NULL, 1, 4, 0, 2, 0, NULL), -1);
    vt_ctx_free(ctx);
}
