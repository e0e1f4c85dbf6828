/* Checkpoint → model, for eval, sample and --resume. */
#include "tools/model_file.h"

#include <stdio.h>
#include <unistd.h>
#include "tools/cli.h"
#include <string.h>

int vt_model_file_config(const char *path, vt_vae_config *cfg, char *err, size_t errlen) {
    char text[1024], msg[512];
    if (vt_checkpoint_read_config(path, text, sizeof text, err, errlen) != 0) return -1;
    if (vt_vae_config_parse(cfg, text, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "checkpoint %s: %s", path, msg);
        return -1;
    }
    return 0;
}

int vt_model_file_open(const char *path, vt_vae *v, vt_train_state *state, char *err,
                       size_t errlen) {
    vt_vae_config cfg;
    char msg[512];
    memset(v, 0, sizeof *v);
    if (vt_model_file_config(path, &cfg, err, errlen) != 0) return -1;
    if (vt_vae_init(v, &cfg, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "checkpoint %s: %s", path, msg);
        return -1;
    }
    if (vt_checkpoint_load(path, v->store, NULL, state, err, errlen) != 0) {
        vt_vae_free(v);
        return -1;
    }
    return 0;
}

void vt_model_file_dir(const char *path, char *dir, size_t len) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, len, ".");
    else if (slash == path) snprintf(dir, len, "/");
    else snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int vt_model_file_run_options(const char *path, vt_train_cli *cli, char **buf, char *err,
                              size_t errlen) {
    char dir[4200], run[4300];
    *buf = NULL;
    vt_train_cli_init(cli);
    vt_model_file_dir(path, dir, sizeof dir);
    if (vt_cli_join(run, sizeof run, dir, "run.txt") != 0 || access(run, F_OK) != 0) return 0;
    if (vt_run_file_read(run, cli->table, buf, err, errlen) != 0) {
        vt_train_cli_init(cli);   /* defaults, not half a file */
        return -1;
    }
    vt_train_options_resolve(&cli->o);
    return 1;
}
