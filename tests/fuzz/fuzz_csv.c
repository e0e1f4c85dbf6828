/* libFuzzer: CSV files (and whatever their bytes turn into) through vt_dataset_read. */
#include "fuzz_dataset.h"
