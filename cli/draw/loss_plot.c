/* The loss curve: metrics.csv → two series (train and test NELBO by epoch) → the
 * line plot of cli/draw/plot.h. */
#include "cli/draw/loss_plot.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/report/metrics.h"
#include "cli/draw/plot.h"

int cli_loss_plot_write(const char *metrics_csv, const char *png, vt_error *err) {
    cli_metrics_row *rows;
    cli_metrics_sites sites;
    int n;
    if (cli_metrics_read(metrics_csv, &sites, &rows, &n, err) != 0) return -1;
    if (n == 0) {
        vt_error_set(err, VT_EARG, "%s: no epochs to plot yet", metrics_csv);
        free(rows);
        return -1;
    }
    float *buf = malloc((size_t)3 * n * sizeof *buf);
    if (!buf) {
        vt_error_set(err, VT_ENOMEM, "%s: out of memory", png);
        free(rows);
        return -1;
    }
    float *epoch = buf, *train = buf + n, *test = buf + 2 * n;
    for (int i = 0; i < n; i++) {
        epoch[i] = (float)rows[i].epoch;
        train[i] = (float)rows[i].train_nelbo;
        test[i] = (float)rows[i].test_nelbo;
    }
    const cli_series series[2] = {{"TRAIN", epoch, train, (size_t)n}, {"TEST", epoch, test, (size_t)n}};
    const cli_plot_opts opts = {.title = "NELBO PER IMAGE (NATS)", .xlabel = "EPOCH",
                               .ylabel = "NELBO"};
    int rc = cli_plot_lines(png, series, 2, &opts, err);
    free(buf);
    free(rows);
    return rc;
}
