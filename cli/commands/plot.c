/* `vtape plot`: the loss curve of a run as a PNG. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/draw/loss_plot.h"
#include "cli/options/options.h"

#define CMD "plot"

int cli_cmd_plot(int argc, char **argv) {
    const char *metrics = "out/metrics.csv", *out = NULL;
    cli_opt table[] = {
        {.name = "metrics", .kind = CLI_OPT_STRING, .dest = &metrics, .metavar = "FILE",
         .help = "metrics.csv written by vtape train"},
        {.name = "out", .kind = CLI_OPT_STRING, .dest = &out, .metavar = "FILE.png",
         .help = "the PNG to write", .default_text = "loss.png beside the metrics file"},
        CLI_OPT_END,
    };
    vt_error err = {0};
    char path[4200];
    int rc = cli_opts_parse(table, argc, argv, 1, &err);
    if (rc == 1) {
        cli_opts_help(stdout, "vtape plot [--metrics DIR/metrics.csv] [--out FILE.png]",
                     "Plot train and test NELBO (nats per image) against epoch.", table);
        return CLI_EXIT_OK;
    }
    if (rc != 0) return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    if (!out) {
        const char *slash = strrchr(metrics, '/');
        snprintf(path, sizeof path, "%.*sloss.png", slash ? (int)(slash - metrics + 1) : 0, metrics);
        out = path;
    }
    if (cli_loss_plot_write(metrics, out, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    printf("wrote %s\n", out);
    return CLI_EXIT_OK;
}
