/* The `vtape` command: dispatch to a subcommand, or print the overview. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand COMMANDS[] = {
    {"train", cli_cmd_train, "train a VAE, CVAE or beta-VAE on Fashion-MNIST"},
    {"eval", cli_cmd_eval, "test NELBO and importance-sampled -log p(x) of a checkpoint"},
    {"sample", cli_cmd_sample, "PNGs of samples, reconstructions, classes and interpolations"},
    {"plot", cli_cmd_plot, "the loss curve of metrics.csv as a PNG"},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static void overview(FILE *out) {
    fprintf(out, "usage: vtape <command> [options]\n\n"
                 "vtape: reverse-mode autodiff in C11, and the VAEs built on it.\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n`vtape <command> --help` lists a command's options and their defaults.\n"
                 "Quick start:  vtape train --out out/vae && vtape eval --checkpoint "
                 "out/vae/checkpoint.vtck\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        overview(stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vtape: unknown command '%s' (commands: train, eval, sample, plot; see "
                    "vtape --help)\n", argv[1]);
    return CLI_EXIT_USAGE;
}
