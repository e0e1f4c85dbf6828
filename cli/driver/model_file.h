/* A model from a checkpoint: its configuration text rebuilds the architecture, then
 * the parameters (and optionally the optimizer state) are loaded into it. */
#ifndef CLI_MODEL_FILE_H
#define CLI_MODEL_FILE_H

#include <stddef.h>
#include "cli/options/train_options.h"
#include "vtape/checkpoint.h"
#include "vtape/vae.h"

/* The configuration stored in a checkpoint, refused unless the model it describes has
 * exactly as many parameters as the file's table holds (so a doctored configuration
 * cannot make vtape build a huge model). flags: VT_CHECKPOINT_*. Messages name the file. */
int cli_model_file_config(const char *path, vt_vae_config *cfg, unsigned flags, vt_error *err);
/* Build the model of `path` and load its parameters; state may be NULL. */
int cli_model_file_open(const char *path, vt_vae *v, vt_train_state *state, unsigned flags,
                        vt_error *err);
/* The directory part of a file path ("." when none), for files saved beside it. */
void cli_model_file_dir(const char *path, char *dir, size_t len);
/* The options the checkpoint was trained with, from run.txt beside it: 1 when read
 * into cli (strings live in *buf, freed by the caller), 0 when there is no run.txt
 * (cli keeps the defaults), -1 on a damaged file. */
int cli_model_file_run_options(const char *path, cli_train_cli *cli, char **buf, vt_error *err);

#endif
