/* Checkpoint → model, for eval, sample and --resume. */
#include "cli/driver/model_file.h"

#include <stdio.h>
#include <unistd.h>
#include "cli/cli.h"
#include <string.h>

int cli_model_file_config(const char *path, vt_vae_config *cfg, unsigned flags, vt_error *err) {
    char text[1024];
    vt_error msg = {0};
    vt_checkpoint_info info;
    if (vt_checkpoint_inspect(path, flags, &info, err) != 0 ||
        vt_checkpoint_read_config(path, text, sizeof text, err) != 0)
        return -1;
    if (vt_vae_config_parse(cfg, text, &msg) != 0) {
        vt_error_set(err, VT_EARG, "checkpoint %s: %s", path, msg.msg);
        return -1;
    }
    size_t want = vt_vae_config_numel(cfg);
    if (want != info.numel) {
        vt_error_set(err, VT_EMISMATCH, "checkpoint %s: the configuration describes a model of "
                     "%zu parameter values, the file holds %zu: refused before building it",
                     path, want, info.numel);
        return -1;
    }
    return 0;
}

int cli_model_file_open(const char *path, vt_vae *v, vt_train_state *state, unsigned flags,
                        vt_error *err) {
    vt_vae_config cfg;
    vt_error msg = {0};
    memset(v, 0, sizeof *v);
    if (cli_model_file_config(path, &cfg, flags, err) != 0) return -1;
    if (vt_vae_init(v, &cfg, &msg) != 0) {
        vt_error_set(err, VT_EARG, "checkpoint %s: %s", path, msg.msg);
        return -1;
    }
    if (vt_checkpoint_load_flags(path, v->store, NULL, state, flags, err) != 0) {
        vt_vae_free(v);
        return -1;
    }
    return 0;
}

void cli_model_file_dir(const char *path, char *dir, size_t len) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, len, ".");
    else if (slash == path) snprintf(dir, len, "/");
    else snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int cli_model_file_run_options(const char *path, cli_train_cli *cli, char **buf, vt_error *err) {
    char dir[4200], run[4300];
    *buf = NULL;
    cli_train_cli_init(cli);
    cli_model_file_dir(path, dir, sizeof dir);
    if (cli_join(run, sizeof run, dir, "run.txt") != 0 || access(run, F_OK) != 0) return 0;
    if (cli_run_file_read(run, cli->table, buf, err) != 0) {
        cli_train_cli_init(cli);   /* defaults, not half a file */
        return -1;
    }
    cli_train_options_resolve(&cli->o);
    return 1;
}
