/* vtape: reverse-mode automatic differentiation in C, with latent-variable models.
 * Include this one header for everything. */
#ifndef VTAPE_H
#define VTAPE_H

#include "vtape/core.h"
#include "vtape/ops.h"
#include "vtape/gradcheck.h"
#include "vtape/layers.h"
#include "vtape/dist.h"
#include "vtape/elbo.h"
#include "vtape/stopgrad.h"
#include "vtape/trace.h"
#include "vtape/optim.h"
#include "vtape/vae.h"
#include "vtape/checkpoint.h"
#include "vtape/data.h"

#endif
