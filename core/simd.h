/* Private to vtape: compile a hot loop for the widest vector unit the CPU has.
 *
 * The library is built for baseline x86-64 (SSE2), where GCC vectorizes element-wise
 * loops 4 floats wide. VT_WIDE_LOOP makes GCC (and clang) emit AVX-512F, AVX2 and
 * baseline copies of a function and pick one at load time (an ifunc), so the Adam
 * update, the gradient checks and the batch binarization run 16 wide where they can.
 * The copies compute bit-identical results: the build turns off FMA contraction
 * (-ffp-contract=off, CMakeLists.txt), GCC never reorders a float reduction without
 * -ffast-math, and every operation used (+, −, ×, ÷, sqrt, compare) is correctly
 * rounded in each instruction set, so a wider vector changes only speed. */
#ifndef VT_CORE_SIMD_H
#define VT_CORE_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define VT_WIDE_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#elif defined(__x86_64__) && defined(__clang__) && __clang_major__ >= 14
#define VT_WIDE_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VT_WIDE_LOOP
#endif

#endif
