"""The mutants: plausible one-line bugs, each as (id, file, original, replacement, what).

`original` is exact text that must occur in `file` exactly `count` times (default 1);
the `nth` occurrence (default 1) is replaced. When the code moves and the text is no
longer found, run.py stops with an error naming the mutant: update it here.
New modules add mutants here (docs/testing.md)."""

M = []


def mutant(mid, file, original, replacement, what, count=1, nth=1):
    M.append(dict(id=mid, file=file, original=original, replacement=replacement, what=what,
                  count=count, nth=nth))


# ---------------- ops: forward and backward ----------------
mutant("exp-grad-sign", "ops/unary.c",
       "for (size_t i = 0; i < n; i++) gx[i] += gy[i] * y[i];",
       "for (size_t i = 0; i < n; i++) gx[i] -= gy[i] * y[i];",
       "exp backward with the wrong sign")
mutant("log-grad", "ops/unary.c",
       "for (size_t i = 0; i < n; i++) gx[i] += gy[i] / x[i];",
       "for (size_t i = 0; i < n; i++) gx[i] += gy[i] * x[i];",
       "log backward multiplies by x instead of dividing")
mutant("sigmoid-grad", "ops/unary.c",
       "gx[i] += gy[i] * y[i] * (1.0f - y[i]);",
       "gx[i] += gy[i] * (1.0f - y[i]);",
       "sigmoid backward drops a factor σ")
mutant("tanh-grad-sign", "ops/unary.c",
       "gx[i] += gy[i] * (1.0f - y[i] * y[i]);",
       "gx[i] += gy[i] * (1.0f + y[i] * y[i]);",
       "tanh backward 1 + y² instead of 1 − y²")
mutant("square-grad", "ops/unary.c",
       "gx[i] += 2.0f * x[i] * gy[i];",
       "gx[i] += x[i] * gy[i];",
       "square backward without the factor 2")
mutant("sqrt-grad", "ops/unary.c",
       "gx[i] += 0.5f * gy[i] / y[i];",
       "gx[i] += gy[i] / y[i];",
       "sqrt backward without the factor ½")
mutant("softplus-fwd", "ops/unary.c",
       "y[i] += x[i] > 0 ? x[i] : 0;",
       "y[i] += x[i] > 0 ? 0 : x[i];",
       "softplus adds min(x, 0) instead of max(x, 0)")
mutant("clamp-grad", "ops/unary.c",
       "gx[i] += x[i] > p ? g : 0.0f;",
       "gx[i] += g;",
       "clamp_min passes the gradient where clamped")
mutant("sub-grad-sign", "ops/binary.c",
       "kind == OP_SUB ? -g : g",
       "kind == OP_SUB ? g : g",
       "sub backward: b gets +g")
mutant("mul-grad", "ops/binary.c",
       "if (ga) ga[i] += kind == OP_MUL ? g * b->data[k] : g;",
       "if (ga) ga[i] += kind == OP_MUL ? g * a->data[i] : g;",
       "mul backward: da uses a instead of b")
mutant("axpby-grad", "ops/binary.c",
       "if (gb) for (size_t i = 0; i < n; i++) gb[i] += s->sb * y->grad[i];",
       "if (gb) for (size_t i = 0; i < n; i++) gb[i] += s->sa * y->grad[i];",
       "axpby backward: b's gradient scaled by sa")
mutant("linear-bias-grad-sign", "ops/linalg.c",
       "for (int j = 0; j < H; j++) gb[j] += g[j];",
       "for (int j = 0; j < H; j++) gb[j] -= g[j];",
       "linear backward: bias gradient with the wrong sign")
mutant("matmul-ta-grad", "ops/linalg.c",
       "vt_sgemm_ctx(ctx, m->tb, 1, K, M, N, b->data, ldb, c->grad, N, 1.0f, ga, lda);",
       "vt_sgemm_ctx(ctx, !m->tb, 1, K, M, N, b->data, ldb, c->grad, N, 1.0f, ga, lda);",
       "matmul backward (transposed A): op(B) transposed the wrong way")
mutant("mean-cols-grad", "ops/reduce.c",
       "gx[(size_t)r * C + c] += node->out->grad[c] / (float)R;",
       "gx[(size_t)r * C + c] += node->out->grad[c];",
       "mean_cols backward without 1/R")
mutant("lse-shift", "ops/reduce.c",
       "return (float)((double)m + log(s));",
       "return (float)log(s);",
       "log-sum-exp forgets to add the max shift back")
mutant("logmeanexp-k", "ops/reduce.c",
       "y->data[b] = (float)((double)lse_strided(logw->data + b, K, (size_t)B) - logk);",
       "y->data[b] = (float)((double)lse_strided(logw->data + b, K, (size_t)B));",
       "log-mean-exp without −log K (a log-sum-exp)")
mutant("slice-grad-offset", "ops/shape.c",
       "gx[(size_t)r * C + start + c] += y->grad[(size_t)r * L + c];",
       "gx[(size_t)r * C + c] += y->grad[(size_t)r * L + c];",
       "slice_cols backward ignores the start column")
mutant("repeat-grad-overwrite", "ops/shape.c",
       "for (size_t i = 0; i < total; i++) gx[i % n] += y->grad[i];",
       "for (size_t i = 0; i < total; i++) gx[i % n] = y->grad[i];",
       "repeat_rows backward keeps only the last copy's gradient")

# ---------------- distributions ----------------
mutant("reparam-sigma-squared", "dist/normal.c",
       "z->data[i] = mu->data[p] + expf(logsig->data[p]) * eps->data[i];",
       "z->data[i] = mu->data[p] + expf(2.0f * logsig->data[p]) * eps->data[i];",
       "diagonal reparameterization uses σ² instead of σ")
mutant("normal-logprob-logsig", "dist/normal.c",
       "acc += -0.5 * u * u - logsig->data[ps] - HALF_LOG_2PI;",
       "acc += -0.5 * u * u - HALF_LOG_2PI;",
       "Normal log-density without −log σ")
mutant("kl-std-formula", "dist/normal_kl.c",
       "acc += 0.5 * (m * m + expm1(2.0 * l)) - l;",
       "acc += 0.5 * (m * m + expm1(l)) - l;",
       "KL(N ‖ N(0, I)) with σ in place of σ²")
mutant("mog-sample-sigma-squared", "dist/mixture.c",
       "vt_matmul(ctx, pick, logsigs), d->eps);",
       "vt_scale(ctx, vt_matmul(ctx, pick, logsigs), 2.0f), d->eps);",
       "mixture sample uses σ² instead of σ")
mutant("mog-pick-inverted", "dist/mixture.c",
       "if (u->data[i] < acc) break;",
       "if (u->data[i] > acc) break;",
       "mixture component pick with the comparison inverted")
mutant("mog-log-softmax", "dist/mixture.c",
       "for (int i = 0; i < n; i++) out[i] = x[i] - m - log(s);",
       "for (int i = 0; i < n; i++) out[i] = x[i] - m;",
       "mixture weights not normalised (log-softmax without log Σ)")
mutant("fullcov-L-transposed", "dist/fullcov_normal.c",
       "for (int j = 0; j < i; j++) acc += (double)L[(size_t)i * Z + j] * e[j];",
       "for (int j = 0; j < i; j++) acc += (double)L[(size_t)j * Z + i] * e[j];",
       "full-covariance sample reads L transposed")
mutant("fullcov-logq-logdet-sign", "dist/fullcov_normal.c",
       "acc += -0.5 * e * e - half_log_2pi - logsig->data[(size_t)(s % R) * Z + i];",
       "acc += -0.5 * e * e - half_log_2pi + logsig->data[(size_t)(s % R) * Z + i];",
       "full-covariance log q with +log|L|")
mutant("fullcov-kl-offdiag", "dist/fullcov_normal.c",
       "return vt_axpby(ctx, 1.0f, vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]), 0.5f, off);",
       "return vt_axpby(ctx, 1.0f, vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]), 1.0f, off);",
       "full-covariance KL: off-diagonal term without ½")
mutant("bce-sign", "dist/bernoulli.c",
       "s += (l[b + i] > 0 ? l[b + i] : 0) - x[b + i] * l[b + i] + e[i];",
       "s += (l[b + i] > 0 ? l[b + i] : 0) + x[b + i] * l[b + i] + e[i];",
       "Bernoulli log-likelihood: +x·l instead of −x·l")

# ---------------- estimators and models ----------------
mutant("beta-schedule-ignored", "models/beta_vae.c",
       "o.beta = vt_beta_at(schedule, step);",
       "(void)step;",
       "β-VAE loss ignores the schedule (uses the options' β)")
mutant("beta-not-applied-analytic", "models/elbo.c",
       "out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o->beta, kl_term);",
       "out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), 1.0f, kl_term);",
       "analytic loss ignores β", count=2, nth=1)
mutant("beta-not-applied-generic", "models/elbo.c",
       "out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o->beta, kl_term);",
       "out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), 1.0f, kl_term);",
       "generic loss ignores β", count=2, nth=2)
mutant("free-bits-groups-transposed", "models/elbo_sites.c",
       "vt_reshape(ctx, per_dim, 2, (int[]){G, Z / G})",
       "vt_reshape(ctx, per_dim, 2, (int[]){Z / G, G})",
       "free-bits groups transposed (strided instead of consecutive dimensions)")
mutant("free-bits-lambda-ignored", "models/elbo_sites.c",
       "return vt_sum(ctx, vt_clamp_min(ctx, groups, o->free_bits));",
       "return vt_sum(ctx, groups);",
       "free bits: groups never clamped at λ")
mutant("iwae-mean-not-logmeanexp", "models/elbo_iw.c",
       "vt_tensor *iw = vt_logmeanexp_samples(ctx, vt_reshape(ctx, log_w, 2, (int[]){K, G}));",
       "vt_tensor *iw = vt_reshape(ctx, vt_mean_cols(ctx, vt_reshape(ctx, log_w, 2, (int[]){K, G})), 2, (int[]){G, 1});",
       "IWAE averages log w (the ELBO) instead of log-mean-exp")
mutant("generic-ratio-swapped", "models/elbo_sites.c",
       "return vt_sub(ctx, lq, vt_trace_model_log_prob(ctx, tr, s->p, s->z));",
       "return vt_sub(ctx, vt_trace_model_log_prob(ctx, tr, s->p, s->z), lq);",
       "generic estimator: log p − log q instead of log q − log p")
mutant("analytic-elbo-kl-sign", "models/elbo.c",
       "for (int r = 0; r < tr->rows; r++) out->elbo_rows[r] -= kl_rows->data[r];",
       "for (int r = 0; r < tr->rows; r++) out->elbo_rows[r] += kl_rows->data[r];",
       "analytic ELBO adds the KL")
mutant("cvae-decoder-ignores-label", "models/vae_parts.c",
       "vt_tensor *out = vt_vae_net_forward(ctx, &v->dec_net, with_condition(ctx, z, c));",
       "vt_tensor *out = vt_vae_net_forward(ctx, &v->dec_net, with_condition(ctx, z, c ? vt_scale(ctx, c, 0.0f) : c));",
       "CVAE decoder does not see the label")
mutant("log-px-minus-log-l", "models/log_px.c",
       "out[i0 + r] = max[r] + log(sum[r]) - log((double)samples);",
       "out[i0 + r] = max[r] + log(sum[r]);",
       "log p(x) estimate without −log L")
mutant("log-px-rescale", "models/log_px.c",
       "sum[r] = sum[r] * exp(max[r] - w) + 1.0;",
       "sum[r] = sum[r] + 1.0;",
       "running log-sum-exp not rescaled when the max moves")
mutant("beta-linear-off-by-one", "models/kl_schedule.c",
       "return (float)(beta * (double)step / (double)s->warmup_steps);",
       "return (float)(beta * (double)(step + 1) / (double)s->warmup_steps);",
       "linear β warm-up one step ahead")

# ---------------- optimizers ----------------
mutant("adam-bias-correction-m", "optim/adam.c",
       ".step_size = (float)(lr / bc1),",
       ".step_size = lr,",
       "Adam without first-moment bias correction")
mutant("adam-bias-correction-v", "optim/adam.c",
       ".inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2)),",
       ".inv_sqrt_bc2 = (float)(1.0 / bc2),",
       "Adam second-moment correction without the square root")
mutant("adamw-decay-without-lr", "optim/adam.c",
       ".decay = decoupled ? (float)(1.0 - (double)lr * cfg->weight_decay) : 1.0f,",
       ".decay = decoupled ? (float)(1.0 - cfg->weight_decay) : 1.0f,",
       "AdamW decay not scaled by the learning rate")
mutant("sgd-nesterov", "optim/sgd.c",
       "p[i] -= lr * (nesterov ? gi + mu * bi : bi);",
       "p[i] -= lr * (nesterov ? bi + mu * gi : bi);",
       "Nesterov step with gradient and velocity swapped")
mutant("clip-scale-inverted", "optim/clip.c",
       "float scale = (float)(max_norm / norm);",
       "float scale = (float)(norm / max_norm);",
       "gradient clipping scales by norm/max instead of max/norm")
mutant("lr-warmup-from-zero", "optim/schedule.c",
       "if (step < s->warmup_steps) return (float)(lr * (double)(step + 1) / (double)s->warmup_steps);",
       "if (step < s->warmup_steps) return (float)(lr * (double)step / (double)s->warmup_steps);",
       "learning-rate warm-up wastes step 0 at rate 0")

# ---------------- data ----------------
mutant("static-binarization-inverted", "data/batch.c",
       "b->bits[i] = vt_uniform01(&s) < ds->pixels[i];",
       "b->bits[i] = vt_uniform01(&s) >= ds->pixels[i];",
       "static binarization draws 1 with probability 1 − p")
mutant("dynamic-binarization-inverted", "data/batch.c",
       "for (size_t k = 0; k < dim; k++) out[k] = vt_uniform01(&s) < p[k];",
       "for (size_t k = 0; k < dim; k++) out[k] = vt_uniform01(&s) > 1.0f - p[k] + 0.02f;",
       "dynamic binarization biased (threshold shifted by 0.02)")
mutant("shuffle-same-every-epoch", "data/batch.c",
       "uint64_t s = vt_stream_key(b->opts.seed, STREAM_SHUFFLE, epoch, 0);",
       "uint64_t s = vt_stream_key(b->opts.seed, STREAM_SHUFFLE, 0, 0);",
       "batch shuffling ignores the epoch (same order every epoch)")
mutant("dynamic-same-every-batch", "data/batch.c",
       "uint64_t s = vt_stream_key(b->opts.seed, STREAM_DYNAMIC, b->epoch, batch);",
       "uint64_t s = vt_stream_key(b->opts.seed, STREAM_DYNAMIC, b->epoch, 0);",
       "dynamic binarization reuses batch 0's noise for every batch")
mutant("pixels-not-scaled", "data/dataset.c",
       "img.type == VT_IDX_U8 ? 255.0f : 1.0f",
       "img.type == VT_IDX_U8 ? 256.0f : 1.0f",
       "pixels scaled by 1/256 (never reach 1)")
mutant("idx-dims-little-endian", "data/idx.c",
       "return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];",
       "return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];",
       "IDX dimensions read little-endian")

# ---------------- checkpoints ----------------
mutant("checkpoint-crc-unchecked", "io/checkpoint_read.c",
       "if (vt_ckpt_crc(c->file, (size_t)len) != get_u32(&t, \"checksum\"))",
       "if (vt_ckpt_crc(c->file, (size_t)len) != get_u32(&t, \"checksum\") && 0)",
       "checkpoint CRC read but never compared")
mutant("checkpoint-u32-big-endian", "io/checkpoint.c",
       "unsigned char c[4] = {v, v >> 8, v >> 16, v >> 24};",
       "unsigned char c[4] = {v >> 24, v >> 16, v >> 8, v};",
       "checkpoint integers written big-endian")

# ---------------- noise ----------------
mutant("box-muller-radius", "core/rng.c",
       "double r = sqrt(-2.0 * log((double)unit_open(b[0]))) ;",
       "double r = sqrt(-1.0 * log((double)unit_open(b[0]))) ;",
       "normal noise with variance ½ (Box–Muller radius)")

# ---------------- the latent models' estimators and ops ----------------
mutant("frozen-params-take-gradient", "core/tape.c",
       "    if (ctx->params_frozen) freeze_node_inputs(ctx, node);",
       "    if (!ctx->params_frozen) freeze_node_inputs(ctx, node);",
       "frozen-parameter mode: the node keeps the parameter inputs (they get gradients)")
mutant("piwae-guide-on-iwae", "models/elbo_piwae.c",
       "int M = vt_elbo_groups(o), K = tr->k / M, G = M * tr->rows;",
       "int M = 1, K = tr->k, G = M * tr->rows;",
       "PIWAE: the guide ascends IWAE of all samples instead of MIWAE")
mutant("piwae-model-sees-samples", "models/elbo_piwae.c",
       "for (int i = 0; i < tr->n_sites; i++) tr->site[i].z = vt_detach(ctx, tr->site[i].z);",
       "(void)0;",
       "PIWAE: the model's second run keeps the samples' path (the guide gets IWAE's gradient too)")
mutant("stl-sites-detached-factors", "models/elbo.c",
       "if (o.grad != VT_GRAD_REPARAM && tr.n_sites > 1 && vt_grad_enabled(ctx) &&",
       "if (o.grad != VT_GRAD_REPARAM && tr.n_sites > VT_TRACE_MAX_SITES && vt_grad_enabled(ctx) &&",
       "STL/DReG with several sites: each factor's parameters detached (no second guide run)")
mutant("dreg-weight-on-guide-path", "models/trace.c",
       "    if (tr->grad_scale && !(z->flags & VT_POISON)) s->z = vt_scale_grad_rows(ctx, z, tr->grad_scale);\n    return z;",
       "    if (tr->grad_scale && !(z->flags & VT_POISON)) s->z = vt_scale_grad_rows(ctx, z, tr->grad_scale);\n    return s->z;",
       "DReG: the guide's later factors get the weighted sample (a path through two sites weighted twice)")
mutant("straight-through-soft-forward", "ops/stopgrad.c",
       "for (size_t i = 0; i < vt_numel(y); i++) y->data[i] = hard->data[i];",
       "for (size_t i = 0; i < vt_numel(y); i++) y->data[i] = soft->data[i];",
       "straight-through forwards the relaxed value instead of the one-hot")
mutant("concrete-relax-times-tau", "dist/concrete.c",
       "vt_tensor *t = vt_scale(ctx, vt_add(ctx, expand(ctx, logits, n), noise), 1.0f / tau);",
       "vt_tensor *t = vt_scale(ctx, vt_add(ctx, expand(ctx, logits, n), noise), tau);",
       "relaxed draw multiplied by τ instead of divided")
mutant("planar-log-det-added", "dist/flow_planar.c",
       "a->log_q = vt_sub(ctx, a->log_q, log_det);",
       "a->log_q = vt_add(ctx, a->log_q, log_det);",
       "planar flow: log q adds the log-determinant instead of subtracting it")
mutant("site-kl-not-scaled-by-rows", "cli/driver/evaluate.c",
       "site_kl[i] += t.site_kl[i].kl * rows;",
       "site_kl[i] += t.site_kl[i].kl;",
       "per-site test KL summed over batches unweighted (not a mean per image)")
