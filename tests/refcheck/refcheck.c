/* Reference checker: parse the float64 reference cases, run them through vtape's public
 * API, compare in float32.
 *
 * THE TOLERANCE RULE (the only one; docs/testing.md repeats it)
 *
 *     a value passes when  |got − want| ≤ RC_ATOL + RC_RTOL · |want|,
 *     RC_ATOL = 1e-6, RC_RTOL = 3e-5
 *
 * RC_RTOL: the reference is float64 arithmetic on the printed inputs; vtape sees those
 *   inputs rounded to float32 (relative error u = 2⁻²⁴ ≈ 6e-8) and computes in float32.
 *   An op with condition number κ therefore carries ~κ·u from its inputs alone, plus
 *   its own rounding: SLEEF's u10 functions are within 1 ULP, and the longest reductions
 *   in the files (7-term dot products, 35-term sums) add a few u more. Away from zero
 *   the files' results have κ ≲ 30, so the expected relative error is ≲ 30·u ≈ 2e-6;
 *   RTOL is ten times that.
 *
 * RC_ATOL: two kinds of results cannot be matched relatively. (1) Results that are small
 *   through cancellation (a dot product of O(1) terms summing to 9e-4, a gradient that
 *   nearly vanishes): their absolute error is ~u·Σ|terms| ≈ 6e-8 × (up to 35 terms of
 *   O(1)), i.e. ≲ 1e-7 here (measured 1.4e-7). (2) Underflow: reference values such as
 *   3.7e-44 or 4.9e-44 are float32 denormals (spacing 1.4e-45) or flush to zero, and
 *   sigmoid'(30) = 9.4e-14 is below what 1 − σ(30) can resolve in float32; only an
 *   absolute bound accepts them. ATOL covers (1) about 7× and (2) by far, and stays
 *   1000× below the smallest ordinary value the files test (~1e-3), so it cannot hide a
 *   wrong result of ordinary size.
 *
 * Measured with these numbers (docs/testing.md has the table): the worst value of
 * ops.txt uses 0.21 of its tolerance, most use < 0.05. */
#include "refcheck.h"
#include "refcheck_ops.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/ops.h"
#include "vtape/dist.h"
#include "vtape/layers.h"

const double RC_RTOL = 3e-5;
const double RC_ATOL = 1e-6;

/* ------------------------------------------------------------------ parsing */

typedef struct parser {
    const char *path;
    int line;
    char *err;
    size_t err_len;
} parser;

__attribute__((format(printf, 2, 3)))
static int parse_error(parser *p, const char *fmt, ...) {
    int n = snprintf(p->err, p->err_len, "%s:%d: ", p->path, p->line);
    if (n < 0) n = 0;
    if ((size_t)n < p->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Next whitespace-separated token of *cur (NUL-terminated in place), or NULL. */
static char *next_token(char **cur) {
    char *s = *cur;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) { *cur = s; return NULL; }
    char *tok = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    if (*s) *s++ = '\0';
    *cur = s;
    return tok;
}

/* The rest of the line with surrounding blanks removed (may be empty). */
static char *rest_of_line(char **cur) {
    char *s = *cur;
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    *cur = e;
    return s;
}

static int parse_int(const char *tok, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(tok, &end, 10);
    if (errno || end == tok || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int parse_double(const char *tok, double *out) {
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    /* ERANGE on underflow still gives the nearest value, which is what we want. */
    if (end == tok || *end || (errno == ERANGE && isinf(v))) return 0;
    *out = v;
    return 1;
}

enum { MAX_NUMEL = 1 << 26 };   /* far above any reference case; bounds the allocation */

/* "[ARG] NDIM D0 .. : v0 v1 .." after the keyword. A scalar is written "0 1 : v" by
 * the generator (rank 0, then its single element count), so rank 0 accepts "0 : v" too. */
static int parse_tensor(parser *p, char *cur, int with_arg, rc_tensor *t) {
    memset(t, 0, sizeof *t);
    t->line = p->line;
    char *tok;
    if (with_arg) {
        if (!(tok = next_token(&cur))) return parse_error(p, "missing argument name");
        if (!(t->arg = dup_str(tok))) return parse_error(p, "out of memory");
    }
    long v;
    if (!(tok = next_token(&cur))) return parse_error(p, "missing rank");
    if (!parse_int(tok, 0, RC_MAX_FILE_DIMS, &v))
        return parse_error(p, "bad rank '%s' (0..%d)", tok, RC_MAX_FILE_DIMS);
    t->ndim = (int)v;
    size_t numel = 1;
    int n_dims = 0;
    while ((tok = next_token(&cur)) && strcmp(tok, ":") != 0) {
        if (n_dims >= (t->ndim ? t->ndim : 1))
            return parse_error(p, "more dimensions than the rank %d (missing ':'?)", t->ndim);
        if (!parse_int(tok, 1, MAX_NUMEL, &v)) return parse_error(p, "bad dimension '%s'", tok);
        if (t->ndim == 0 && v != 1) return parse_error(p, "a rank-0 value has one element");
        if (t->ndim > 0) t->shape[n_dims] = (int)v;
        n_dims++;
        numel *= (size_t)v;
        if (numel > MAX_NUMEL) return parse_error(p, "tensor too large");
    }
    if (!tok) return parse_error(p, "missing ':' before the values");
    if (t->ndim > 0 && n_dims != t->ndim)
        return parse_error(p, "rank %d but %d dimensions", t->ndim, n_dims);
    t->numel = numel;
    if (!(t->v = malloc(numel * sizeof *t->v))) return parse_error(p, "out of memory");
    size_t n = 0;
    while ((tok = next_token(&cur))) {
        if (n >= numel) return parse_error(p, "more than %zu values", numel);
        if (!parse_double(tok, &t->v[n])) return parse_error(p, "bad number '%s'", tok);
        n++;
    }
    if (n != numel) return parse_error(p, "%zu values for %zu elements", n, numel);
    return 0;
}

static void tensor_free(rc_tensor *t) {
    free(t->arg);
    free(t->v);
    memset(t, 0, sizeof *t);
}

static void case_free(rc_case *c) {
    free(c->name);
    free(c->op);
    for (int i = 0; i < c->n_attrs; i++) { free(c->attrs[i].key); free(c->attrs[i].value); }
    free(c->attrs);
    for (int i = 0; i < c->n_in; i++) tensor_free(&c->in[i]);
    for (int i = 0; i < c->n_gin; i++) tensor_free(&c->gin[i]);
    free(c->in);
    free(c->gin);
    tensor_free(&c->out);
    tensor_free(&c->gout);
    memset(c, 0, sizeof *c);
}

void rc_file_free(rc_file *f) {
    for (int i = 0; i < f->n_cases; i++) case_free(&f->cases[i]);
    free(f->cases);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* Append one zeroed element to the array whose pointer is at arr_ptr (count *n);
 * returns its address, NULL when out of memory. */
static void *append(void *arr_ptr, int *n, size_t size) {
    char *arr;
    memcpy(&arr, arr_ptr, sizeof arr);
    if (*n == INT_MAX) return NULL;
    char *grown = realloc(arr, (size_t)(*n + 1) * size);
    if (!grown) return NULL;
    memcpy(arr_ptr, &grown, sizeof grown);
    memset(grown + (size_t)*n * size, 0, size);
    return grown + (size_t)(*n)++ * size;
}

static int same_shape(const rc_tensor *a, const rc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static const rc_tensor *find_arg(const rc_tensor *ts, int n, const char *arg) {
    for (int i = 0; i < n; i++)
        if (strcmp(ts[i].arg, arg) == 0) return &ts[i];
    return NULL;
}

/* At `end`: the block must be self-consistent before anything runs. */
static int validate_case(parser *p, const rc_case *c) {
    if (!c->op) return parse_error(p, "case '%s' has no op line", c->name);
    if (!c->out.v) return parse_error(p, "case '%s' has no out line", c->name);
    if (c->n_gin && !c->gout.v) return parse_error(p, "case '%s' has gin but no gout", c->name);
    if (c->gout.v && !same_shape(&c->gout, &c->out)) {
        p->line = c->gout.line;
        return parse_error(p, "gout shape differs from out shape");
    }
    for (int i = 0; i < c->n_in; i++)
        if (find_arg(c->in, i, c->in[i].arg)) {
            p->line = c->in[i].line;
            return parse_error(p, "input '%s' given twice", c->in[i].arg);
        }
    for (int i = 0; i < c->n_gin; i++) {
        const rc_tensor *g = &c->gin[i], *x = find_arg(c->in, c->n_in, g->arg);
        p->line = g->line;
        if (find_arg(c->gin, i, g->arg)) return parse_error(p, "gin '%s' given twice", g->arg);
        if (!x) return parse_error(p, "gin '%s' names no input", g->arg);
        if (!same_shape(g, x)) return parse_error(p, "gin '%s' shape differs from its input", g->arg);
    }
    return 0;
}

/* One line inside or outside a block. *cur_case is the open block or NULL. */
static int parse_line(parser *p, rc_file *f, rc_case **open, char *line) {
    char *cur = line;
    char *key = next_token(&cur);
    if (!key || key[0] == '#') return 0;   /* blank line or comment */
    rc_case *c = *open;

    if (strcmp(key, "case") == 0) {
        if (c) return parse_error(p, "'case' inside case '%s' (missing 'end')", c->name);
        char *name = next_token(&cur);
        if (!name) return parse_error(p, "'case' without a name");
        if (next_token(&cur)) return parse_error(p, "case name has spaces");
        for (int i = 0; i < f->n_cases; i++)
            if (strcmp(f->cases[i].name, name) == 0)
                return parse_error(p, "case '%s' defined twice", name);
        if (!(c = append(&f->cases, &f->n_cases, sizeof *c)) || !(c->name = dup_str(name)))
            return parse_error(p, "out of memory");
        c->path = f->path;
        c->line = p->line;
        *open = c;
        return 0;
    }
    if (!c) return parse_error(p, "'%s' outside a case block", key);

    if (strcmp(key, "end") == 0) {
        if (next_token(&cur)) return parse_error(p, "text after 'end'");
        *open = NULL;
        return validate_case(p, c);
    }
    if (strcmp(key, "op") == 0) {
        char *op = next_token(&cur);
        if (!op || next_token(&cur)) return parse_error(p, "'op' takes one name");
        if (c->op) return parse_error(p, "second 'op' line");
        return (c->op = dup_str(op)) ? 0 : parse_error(p, "out of memory");
    }
    if (strcmp(key, "attr") == 0) {
        char *k = next_token(&cur);
        if (!k) return parse_error(p, "'attr' without a key");
        rc_attr *a = append(&c->attrs, &c->n_attrs, sizeof *a);
        if (!a || !(a->key = dup_str(k)) || !(a->value = dup_str(rest_of_line(&cur))))
            return parse_error(p, "out of memory");
        return 0;
    }
    if (strcmp(key, "in") == 0 || strcmp(key, "gin") == 0) {
        int grad = key[0] == 'g';
        rc_tensor *t = grad ? append(&c->gin, &c->n_gin, sizeof *t)
                            : append(&c->in, &c->n_in, sizeof *t);
        if (!t) return parse_error(p, "out of memory");
        return parse_tensor(p, cur, 1, t);
    }
    if (strcmp(key, "out") == 0 || strcmp(key, "gout") == 0) {
        rc_tensor *t = key[0] == 'g' ? &c->gout : &c->out;
        if (t->v) return parse_error(p, "second '%s' line", key);
        return parse_tensor(p, cur, 0, t);
    }
    return parse_error(p, "unknown line '%s'", key);
}

int rc_parse_file(const char *path, rc_file *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    parser p = {path, 0, err, err_len};
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (!(out->path = dup_str(path))) { fclose(fp); return parse_error(&p, "out of memory"); }

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    rc_case *open = NULL;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        p.line++;
        if ((size_t)len != strlen(line)) { rc = parse_error(&p, "NUL byte in line"); break; }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        rc = parse_line(&p, out, &open, line);
    }
    if (rc == 0 && ferror(fp)) rc = parse_error(&p, "read error");
    if (rc == 0 && open) {
        p.line = open->line;
        rc = parse_error(&p, "case '%s' has no 'end'", open->name);
    }
    /* An empty or truncated-to-nothing file must not pass as "0 failed". */
    if (rc == 0 && out->n_cases == 0) {
        snprintf(err, err_len, "%s: no cases in the file", path);
        rc = -1;
    }
    free(line);
    fclose(fp);
    if (rc != 0) rc_file_free(out);
    return rc;
}

/* ------------------------------------------------------------------ the ops */

static const char *attr_text(op_call *oc, const char *key) {
    for (int i = 0; i < oc->c->n_attrs; i++)
        if (strcmp(oc->c->attrs[i].key, key) == 0) return oc->c->attrs[i].value;
    snprintf(oc->why, sizeof oc->why, "missing attr %s", key);
    return NULL;
}

int rc_attr_float(op_call *oc, const char *key, float *out) {
    const char *s = attr_text(oc, key);
    double v;
    if (!s) return 0;
    if (!parse_double(s, &v)) {
        snprintf(oc->why, sizeof oc->why, "attr %s is not a number", key);
        return 0;
    }
    *out = (float)v;
    return 1;
}

int rc_attr_int(op_call *oc, const char *key, int *out) {
    const char *s = attr_text(oc, key);
    long v;
    if (!s) return 0;
    if (!parse_int(s, INT_MIN, INT_MAX, &v)) {
        snprintf(oc->why, sizeof oc->why, "attr %s is not an integer", key);
        return 0;
    }
    *out = (int)v;
    return 1;
}

#define UNARY(NAME) \
    static vt_tensor *call_##NAME(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) { \
        (void)oc; return vt_##NAME(ctx, a[0]); }
#define BINARY(NAME) \
    static vt_tensor *call_##NAME(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) { \
        (void)oc; return vt_##NAME(ctx, a[0], a[1]); }

BINARY(matmul) BINARY(matmul_tb) BINARY(matmul_ta)
BINARY(add) BINARY(sub) BINARY(mul) BINARY(concat_cols)
BINARY(bce_logits_rows) BINARY(bernoulli_logprob_rows)
BINARY(kl_normal_std_rows) BINARY(fullcov_logq_rows)
UNARY(exp) UNARY(log) UNARY(softplus) UNARY(sigmoid) UNARY(log_sigmoid) UNARY(tanh)
UNARY(relu) UNARY(square) UNARY(sqrt)
UNARY(sum) UNARY(mean) UNARY(sum_rows) UNARY(mean_cols)
UNARY(logsumexp_rows) UNARY(log_softmax_rows) UNARY(logmeanexp_samples)
UNARY(std_normal_logprob_rows)

static vt_tensor *call_linear(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_linear(ctx, a[0], a[1], a[2]);   /* a[2] NULL: no bias */
}
static vt_tensor *call_scale(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    float s;
    return rc_attr_float(oc, "s", &s) ? vt_scale(ctx, a[0], s) : NULL;
}
static vt_tensor *call_add_scalar(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    float c;
    return rc_attr_float(oc, "c", &c) ? vt_add_scalar(ctx, a[0], c) : NULL;
}
static vt_tensor *call_clamp_min(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    float floor_;
    return rc_attr_float(oc, "floor", &floor_) ? vt_clamp_min(ctx, a[0], floor_) : NULL;
}
static vt_tensor *call_axpby(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    float sa, sb;
    if (!rc_attr_float(oc, "sa", &sa) || !rc_attr_float(oc, "sb", &sb)) return NULL;
    return vt_axpby(ctx, sa, a[0], sb, a[1]);
}
static vt_tensor *call_slice_cols(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    int start, len;
    if (!rc_attr_int(oc, "start", &start) || !rc_attr_int(oc, "len", &len)) return NULL;
    return vt_slice_cols(ctx, a[0], start, len);
}
static vt_tensor *call_repeat_rows(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    int k;
    return rc_attr_int(oc, "k", &k) ? vt_repeat_rows(ctx, a[0], k) : NULL;
}
/* reshape takes its target shape from the expected output. */
static vt_tensor *call_reshape(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    const rc_tensor *o = &oc->c->out;
    int one = 1;
    if (o->ndim > VT_MAX_DIMS) {
        snprintf(oc->why, sizeof oc->why, "reshape target rank %d > %d", o->ndim, VT_MAX_DIMS);
        return NULL;
    }
    return o->ndim ? vt_reshape(ctx, a[0], o->ndim, o->shape) : vt_reshape(ctx, a[0], 1, &one);
}
static vt_tensor *call_normal_logprob_rows(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_normal_logprob_rows(ctx, a[0], a[1], a[2]);
}
static vt_tensor *call_kl_normal_normal_rows(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_kl_normal_normal_rows(ctx, a[0], a[1], a[2], a[3]);
}
static vt_tensor *call_reparam_diag(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_reparam_diag(ctx, a[0], a[1], a[2]);
}
static vt_tensor *call_reparam_fullcov(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_reparam_fullcov(ctx, a[0], a[1], a[2], a[3]);
}
static vt_tensor *call_mog_logprob_rows(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_mog_logprob_rows(ctx, a[0], a[1], a[2], a[3]);
}
static vt_tensor *call_gated_linear(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_gated_linear(ctx, a[0], a[1], a[2], a[3], a[4]);
}

enum { MAX_ARGS = RC_MAX_ARGS };

static const op_entry OPS[] = {
    {"matmul", call_matmul, {"a", "b"}},
    {"matmul_tb", call_matmul_tb, {"a", "b"}},
    {"matmul_ta", call_matmul_ta, {"a", "b"}},
    {"linear", call_linear, {"x", "w", "b?"}},
    {"add", call_add, {"a", "b"}},
    {"sub", call_sub, {"a", "b"}},
    {"mul", call_mul, {"a", "b"}},
    {"axpby", call_axpby, {"a", "b"}},
    {"scale", call_scale, {"a|x"}},
    {"add_scalar", call_add_scalar, {"a|x"}},
    {"clamp_min", call_clamp_min, {"a|x"}},
    {"exp", call_exp, {"x"}},
    {"log", call_log, {"x"}},
    {"softplus", call_softplus, {"x"}},
    {"sigmoid", call_sigmoid, {"x"}},
    {"log_sigmoid", call_log_sigmoid, {"x"}},
    {"tanh", call_tanh, {"x"}},
    {"relu", call_relu, {"x"}},
    {"square", call_square, {"x"}},
    {"sqrt", call_sqrt, {"x"}},
    {"sum", call_sum, {"x"}},
    {"mean", call_mean, {"x"}},
    {"sum_rows", call_sum_rows, {"x"}},
    {"mean_cols", call_mean_cols, {"x"}},
    {"logsumexp_rows", call_logsumexp_rows, {"x"}},
    {"log_softmax_rows", call_log_softmax_rows, {"x"}},
    {"logmeanexp_samples", call_logmeanexp_samples, {"logw"}},
    {"concat_cols", call_concat_cols, {"a", "b"}},
    {"slice_cols", call_slice_cols, {"x"}},
    {"reshape", call_reshape, {"x"}},
    {"repeat_rows", call_repeat_rows, {"x"}},
    {"bce_logits_rows", call_bce_logits_rows, {"logits", "x"}},
    {"bernoulli_logprob_rows", call_bernoulli_logprob_rows, {"logits", "x"}},
    {"normal_logprob_rows", call_normal_logprob_rows, {"z", "mu", "logsig"}},
    {"std_normal_logprob_rows", call_std_normal_logprob_rows, {"z"}},
    {"kl_normal_std_rows", call_kl_normal_std_rows, {"mu", "logsig"}},
    {"kl_normal_normal_rows", call_kl_normal_normal_rows, {"mu1", "logsig1", "mu2", "logsig2"}},
    {"reparam_diag", call_reparam_diag, {"mu", "logsig", "eps"}},
    {"reparam_fullcov", call_reparam_fullcov, {"mu", "logsig", "lprime", "eps"}},
    {"fullcov_logq_rows", call_fullcov_logq_rows, {"eps", "logsig"}},
    {"mog_logprob_rows", call_mog_logprob_rows, {"z", "logits", "means", "logsigs"}},
    {"gated_linear", call_gated_linear, {"x", "w1", "b1", "w2", "b2"}},
};

static const op_entry *find_op(const char *name) {
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strcmp(OPS[i].name, name) == 0) return &OPS[i];
    for (size_t i = 0; i < rc_n_latent_ops; i++)   /* refcheck_latent.c */
        if (strcmp(rc_latent_ops[i].name, name) == 0) return &rc_latent_ops[i];
    return NULL;
}

/* Does `arg` match the spec "n1|n2[?]"? */
static int spec_matches(const char *spec, const char *arg) {
    size_t n = strlen(arg);
    for (const char *s = spec; *s;) {
        size_t len = strcspn(s, "|?");
        if (len == n && strncmp(s, arg, n) == 0) return 1;
        s += len;
        if (*s == '|') s++;
        else break;
    }
    return 0;
}

/* ------------------------------------------------------------------ comparing */

/* Worst element of one compared value, scaled by its tolerance. */
typedef struct cmp_result {
    const char *what;       /* "out" or "gin ARG" text, built by the caller */
    int pass;
    double ratio;           /* worst err / tolerance (∞ for NaN) */
    double err, got, want;
    size_t index;
} cmp_result;

static double tolerance(double want) { return RC_ATOL + RC_RTOL * fabs(want); }

static cmp_result compare(const float *got, const double *want, size_t n) {
    cmp_result r = {NULL, 1, 0.0, 0.0, 0.0, 0.0, 0};
    for (size_t i = 0; i < n; i++) {
        double g = got ? (double)got[i] : 0.0, w = want[i], err, ratio;
        if (isnan(w) || isinf(w)) {           /* only an identical non-finite matches */
            int same = isnan(w) ? isnan(g) : g == w;
            err = same ? 0.0 : INFINITY;
        } else {
            err = isfinite(g) ? fabs(g - w) : INFINITY;
        }
        ratio = err / tolerance(isfinite(w) ? w : 0.0);
        if (i == 0 || ratio > r.ratio) {
            r.ratio = ratio;
            r.err = err;
            r.got = g;
            r.want = w;
            r.index = i;
        }
    }
    r.pass = r.ratio <= 1.0;
    return r;
}

/* "[i,j]" for an index into a tensor of the given shape. */
static void index_str(const rc_tensor *t, size_t flat, char *buf, size_t len) {
    size_t idx[RC_MAX_FILE_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = flat % (size_t)t->shape[d];
        flat /= (size_t)t->shape[d];
    }
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < t->ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? ",%zu" : "%zu", idx[d]);
    if (used < len) snprintf(buf + used, len - used, "]");
}

static void shape_text(const int *shape, int ndim, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    if (ndim == 0) snprintf(buf, len, "scalar");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, d ? "x%d" : "%d", shape[d]);
}

/* vtape has no rank-0 tensors: a scalar reference value matches any one-element shape. */
static int shape_matches(const rc_tensor *want, const vt_tensor *got) {
    if (want->ndim == 0) return vt_numel(got) == 1;
    if (want->ndim != got->ndim) return 0;
    for (int d = 0; d < want->ndim; d++)
        if (want->shape[d] != got->shape[d]) return 0;
    return 1;
}

/* ------------------------------------------------------------------ running */

static const char *case_label(const rc_case *c, char *buf, size_t len) {
    snprintf(buf, len, "%s [%s, %s:%d]", c->name, c->op, c->path, c->line);
    return buf;
}

__attribute__((format(printf, 3, 4)))
static int case_fail(const rc_case *c, FILE *log, const char *fmt, ...) {
    char label[512];
    fprintf(log, "FAIL %s: ", case_label(c, label, sizeof label));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fputc('\n', log);
    return 0;
}

/* An arena tensor holding the reference values rounded to float32. */
static vt_tensor *make_input(vt_ctx *ctx, const rc_tensor *t) {
    int one[2] = {1, 1};
    float *buf = vt_arena_alloc(ctx, t->numel * sizeof *buf);
    if (!buf) return NULL;
    for (size_t i = 0; i < t->numel; i++) buf[i] = (float)t->v[i];
    return t->ndim ? vt_from_data(ctx, t->ndim, t->shape, buf) : vt_from_data(ctx, 2, one, buf);
}

int rc_run_case(vt_ctx *ctx, const rc_case *c, int verbose, FILE *log) {
    vt_ctx_reset(ctx);
    vt_set_grad_enabled(ctx, 1);
    const op_entry *op = find_op(c->op);
    if (!op) return case_fail(c, log, "unknown op '%s'", c->op);

    /* Map the case's inputs onto the op's arguments; every input must be used. */
    vt_tensor *args[MAX_ARGS] = {NULL};
    const rc_tensor *ref_of[MAX_ARGS] = {NULL};
    int used = 0;
    for (int k = 0; op->args[k]; k++) {
        for (int i = 0; i < c->n_in; i++)
            if (spec_matches(op->args[k], c->in[i].arg)) ref_of[k] = &c->in[i];
        if (!ref_of[k] && !strchr(op->args[k], '?'))
            return case_fail(c, log, "missing input '%s'", op->args[k]);
        used += ref_of[k] != NULL;
    }
    if (used != c->n_in) {
        for (int i = 0; i < c->n_in; i++) {
            int known = 0;
            for (int k = 0; op->args[k]; k++) known |= ref_of[k] == &c->in[i];
            if (!known) return case_fail(c, log, "unexpected input '%s'", c->in[i].arg);
        }
    }
    for (int k = 0; op->args[k]; k++) {
        const rc_tensor *r = ref_of[k];
        if (!r) continue;
        if (r->ndim > VT_MAX_DIMS)
            return case_fail(c, log, "input '%s' has rank %d > %d", r->arg, r->ndim, VT_MAX_DIMS);
        if (!(args[k] = make_input(ctx, r)))
            return case_fail(c, log, "cannot make input '%s': %s", r->arg,
                             vt_ctx_error(ctx) ? vt_ctx_error(ctx) : "out of memory");
        if (find_arg(c->gin, c->n_gin, r->arg)) vt_requires_grad(args[k]);
    }

    op_call oc = {c, ""};
    vt_tensor *out = op->call(ctx, args, &oc);
    if (oc.why[0]) return case_fail(c, log, "%s", oc.why);
    if (vt_ctx_error(ctx)) return case_fail(c, log, "vtape error: %s", vt_ctx_error(ctx));
    if (!out) return case_fail(c, log, "op returned NULL without an error");

    char want_s[96], got_s[96];
    if (!shape_matches(&c->out, out)) {
        shape_text(c->out.shape, c->out.ndim, want_s, sizeof want_s);
        shape_text(out->shape, out->ndim, got_s, sizeof got_s);
        return case_fail(c, log, "out shape %s, want %s", got_s, want_s);
    }

    enum { MAX_VALUES = 1 + MAX_ARGS };
    cmp_result res[MAX_VALUES];
    char names[MAX_VALUES][64];
    const rc_tensor *refs[MAX_VALUES];
    int n_res = 0;
    res[n_res] = compare(out->data, c->out.v, c->out.numel);
    snprintf(names[n_res], sizeof names[n_res], "out");
    refs[n_res++] = &c->out;

    if (c->n_gin) {
        float *gout = vt_arena_alloc(ctx, c->gout.numel * sizeof *gout);
        if (!gout) return case_fail(c, log, "out of memory");
        for (size_t i = 0; i < c->gout.numel; i++) gout[i] = (float)c->gout.v[i];
        if (vt_backward(ctx, out, gout) != 0)
            return case_fail(c, log, "vtape backward error: %s",
                             vt_ctx_error(ctx) ? vt_ctx_error(ctx) : "(no message)");
        for (int k = 0; op->args[k]; k++) {
            const rc_tensor *g = ref_of[k] ? find_arg(c->gin, c->n_gin, ref_of[k]->arg) : NULL;
            if (!g) continue;
            if (!shape_matches(g, args[k]))
                return case_fail(c, log, "gin %s shape differs from its input", g->arg);
            res[n_res] = compare(args[k]->grad, g->v, g->numel);   /* NULL grad: zeros */
            snprintf(names[n_res], sizeof names[n_res], "gin %s", g->arg);
            refs[n_res++] = g;
        }
    }

    int worst = 0, pass = 1;
    for (int i = 0; i < n_res; i++) {
        pass &= res[i].pass;
        if (res[i].ratio > res[worst].ratio || isnan(res[i].ratio)) worst = i;
    }
    char label[512], where[96];
    if (!pass) {
        const cmp_result *w = &res[worst];
        index_str(refs[worst], w->index, where, sizeof where);
        fprintf(log, "FAIL %s: %s err %.3g at %s got %.9g want %.17g (tol %.3g)",
                case_label(c, label, sizeof label), names[worst], w->err, where, w->got,
                w->want, tolerance(w->want));
        for (int i = 0; i < n_res; i++)
            if (i != worst && !res[i].pass) fprintf(log, "; also %s", names[i]);
        fputc('\n', log);
        return 0;
    }
    if (verbose) {
        fprintf(log, "ok   %s:", case_label(c, label, sizeof label));
        for (int i = 0; i < n_res; i++) {
            index_str(refs[i], res[i].index, where, sizeof where);
            fprintf(log, " %s %.2g%s (%.2g of tol)", names[i], res[i].err, where, res[i].ratio);
            if (i + 1 < n_res) fputc(';', log);
        }
        fputc('\n', log);
    }
    return 1;
}
