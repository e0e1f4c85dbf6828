/* vtape: reverse-mode automatic differentiation in C, with latent-variable models.
 * Include this one header for everything. */
#ifndef VTAPE_H
#define VTAPE_H

#include "vtape/core.h"
#include "vtape/ops.h"
#include "vtape/gradcheck.h"

#endif
