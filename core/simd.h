/* Private to vtape: compile a hot loop for the widest vector unit the CPU has.
 *
 * The library is built for baseline x86-64 (SSE2), where GCC vectorizes element-wise
 * loops 4 floats wide. VT_WIDE_LOOP makes GCC (and clang) emit x86-64-v4 (AVX-512 F, BW,
 * CD, DQ, VL), AVX2 and baseline copies of a function and pick one at load time (an
 * ifunc), so the Adam update, the gradient check and the batch binarization run 16 wide
 * where they can. DQ matters: the binarization's 64-bit hash needs its vpmullq (with F
 * alone GCC builds each 64-bit product from three 32-bit ones; the batch took 1.1 ms
 * instead of 0.3 at batch 128).
 * The copies compute bit-identical results: the build turns off FMA contraction
 * (-ffp-contract=off, CMakeLists.txt), GCC never reorders a float reduction without
 * -ffast-math, and every operation used (+, −, ×, ÷, sqrt, compare) is correctly
 * rounded in each instruction set, so a wider vector changes only speed. */
#ifndef VT_CORE_SIMD_H
#define VT_CORE_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define VT_WIDE_LOOP __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#elif defined(__x86_64__) && defined(__clang__) && __clang_major__ >= 14
#define VT_WIDE_LOOP __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define VT_WIDE_LOOP
#endif

/* A helper a VT_WIDE_LOOP function calls must be inlined into each copy, or it runs as
 * one baseline function for all of them (GCC does not inline across target options on
 * its own judgment). */
#if defined(__GNUC__)
#define VT_INLINE static inline __attribute__((always_inline))
#else
#define VT_INLINE static inline
#endif

#endif
