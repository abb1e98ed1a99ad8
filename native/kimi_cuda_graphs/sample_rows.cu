// One decode step's sampling in one kernel: for every row of logits [rows, vocab] (bf16, fp16 or fp32), the next token
// (greedy: the argmax; sampled: the exponential race, i.e. Gumbel-max, on logits / temperature) and the policy's
// log-probability of it under the untempered logits, read in a single pass over the row. The libtorch path it replaces
// (float32 copy, softmax, exponential draw, division, argmax, gather, logsumexp) reads and writes [rows, vocab] float32
// about ten times per step, which at 256 rows of a 152 k vocabulary is most of the step's memory traffic after the
// weights. Randomness is Philox4x32-10 keyed by (seed, step counter, row, position), with seed and counter in device
// memory, so a captured graph draws fresh numbers on every replay and a call with the same seed draws the same ones.
// No torch headers here: the launcher takes raw pointers (kimi_cuda_graphs.cpp checks the tensors).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cmath>
#include <cstdint>

namespace {

constexpr int kThreads = 1024;

struct Philox {
  __device__ static uint4 draw(uint4 c, uint2 k) {
    for (int i = 0; i < 10; ++i) {
      unsigned int hi0 = __umulhi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
      unsigned int hi1 = __umulhi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
      c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
      k.x += 0x9E3779B9u;
      k.y += 0xBB67AE85u;
    }
    return c;
  }
};

// A uniform in (0, 1), never 0 or 1, from 24 random bits.
__device__ __forceinline__ float uniform(unsigned int bits) { return ((bits >> 8) + 0.5f) * (1.0f / 16777216.0f); }

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }

// The four values of group g: one 8-byte (16-bit types) or 16-byte (float32) load when the row allows it.
template <typename T>
__device__ __forceinline__ void load4(const T* x, int64_t g, bool vectorized, int64_t vocab, float (&v)[4]) {
  if (vectorized) {
    if constexpr (sizeof(T) == 2) {
      const uint2 word = reinterpret_cast<const uint2*>(x)[g];
      const T* h = reinterpret_cast<const T*>(&word);
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = to_float(h[j]);
    } else {
      const float4 word = reinterpret_cast<const float4*>(x)[g];
      v[0] = word.x; v[1] = word.y; v[2] = word.z; v[3] = word.w;
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int64_t i = g * 4 + j;
    v[j] = i < vocab ? to_float(x[i]) : -INFINITY;
  }
}

// What a thread (then a warp, then the block) knows of its part of the row: the running max and sum of exp of the raw
// logits (log-sum-exp, online), and the best race key with its index and raw logit.
struct Partial {
  float max, sum, key, raw;
  int index;
};

__device__ __forceinline__ void add_value(Partial& p, float raw, float key, int index) {
  if (raw > p.max) {
    p.sum = p.sum * __expf(p.max - raw) + 1.0f;
    p.max = raw;
  } else {
    p.sum += __expf(raw - p.max);
  }
  if (key > p.key || (key == p.key && index < p.index)) {
    p.key = key;
    p.raw = raw;
    p.index = index;
  }
}

__device__ __forceinline__ Partial combine(const Partial& a, const Partial& b) {
  Partial r;
  r.max = fmaxf(a.max, b.max);
  r.sum = (a.max == -FLT_MAX ? 0.0f : a.sum * __expf(a.max - r.max)) + (b.max == -FLT_MAX ? 0.0f : b.sum * __expf(b.max - r.max));
  bool takeB = b.key > a.key || (b.key == a.key && b.index < a.index);
  r.key = takeB ? b.key : a.key;
  r.raw = takeB ? b.raw : a.raw;
  r.index = takeB ? b.index : a.index;
  return r;
}

__device__ __forceinline__ Partial shuffle_down(const Partial& p, int offset) {
  Partial o;
  o.max = __shfl_down_sync(0xffffffffu, p.max, offset);
  o.sum = __shfl_down_sync(0xffffffffu, p.sum, offset);
  o.key = __shfl_down_sync(0xffffffffu, p.key, offset);
  o.raw = __shfl_down_sync(0xffffffffu, p.raw, offset);
  o.index = __shfl_down_sync(0xffffffffu, p.index, offset);
  return o;
}

template <typename T>
__global__ void sample_rows_kernel(const T* __restrict__ logits, int64_t vocab, const float* __restrict__ temperature,
                                   const int64_t* __restrict__ rng, bool greedy, bool vectorized, int64_t* __restrict__ ids,
                                   float* __restrict__ out, int rows) {
  const int row = blockIdx.x;
  const T* x = logits + static_cast<int64_t>(row) * vocab;
  const float invT = greedy ? 1.0f : 1.0f / fmaxf(temperature[0], 1e-6f);
  const uint64_t seed = static_cast<uint64_t>(rng[0]), step = static_cast<uint64_t>(rng[1]);
  const uint2 key = make_uint2(static_cast<unsigned int>(seed), static_cast<unsigned int>(seed >> 32));

  Partial p{-FLT_MAX, 0.0f, -FLT_MAX, -FLT_MAX, 0x7fffffff};
  // Groups of four consecutive positions: one Philox draw gives the four uniforms of a group.
  const int64_t groups = (vocab + 3) / 4;
  for (int64_t g = threadIdx.x; g < groups; g += blockDim.x) {
    uint4 r = make_uint4(0, 0, 0, 0);
    if (!greedy)
      r = Philox::draw(make_uint4(static_cast<unsigned int>(g), static_cast<unsigned int>(row), static_cast<unsigned int>(step),
                                  static_cast<unsigned int>(step >> 32)), key);
    const unsigned int bits[4] = {r.x, r.y, r.z, r.w};
    float values[4];
    load4(x, g, vectorized, vocab, values);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float raw = values[j];
      // -inf logits (masked tokens, and the positions past the row's end) never win and add nothing to the sum.
      if (raw == -INFINITY) continue;
      const int64_t i = g * 4 + j;
      // Gumbel-max: argmax(l / T - log(-log u)) is a draw from softmax(l / T).
      const float k = greedy ? raw : raw * invT - __logf(-__logf(uniform(bits[j])));
      add_value(p, raw, k, static_cast<int>(i));
    }
  }

  for (int offset = 16; offset > 0; offset >>= 1) p = combine(p, shuffle_down(p, offset));
  __shared__ Partial warps[kThreads / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warps[warp] = p;
  __syncthreads();
  if (warp == 0) {
    const int count = (blockDim.x + 31) / 32;
    p = lane < count ? warps[lane] : Partial{-FLT_MAX, 0.0f, -FLT_MAX, -FLT_MAX, 0x7fffffff};
    for (int offset = 16; offset > 0; offset >>= 1) p = combine(p, shuffle_down(p, offset));
    if (lane == 0) {
      const float lse = p.max + __logf(p.sum);
      const int token = p.index == 0x7fffffff ? 0 : p.index;
      ids[row] = token;
      out[row] = static_cast<float>(token);
      out[rows + row] = p.raw - lse;
    }
  }
}

__global__ void advance_counter(int64_t* rng) { rng[1] += 1; }

}  // namespace

// dtype: 0 float32, 1 bfloat16, 2 float16. Returns a CUDA error code (0: launched).
extern "C" int kimi_launch_sample_rows(const void* logits, int dtype, int64_t rows, int64_t vocab, const float* temperature,
                                       int64_t* rng, bool greedy, int64_t* ids, float* out, cudaStream_t stream) {
  if (rows <= 0) return 0;
  dim3 grid(static_cast<unsigned int>(rows)), block(kThreads);
  const int r = static_cast<int>(rows);
  const size_t width = dtype == 0 ? 4 : 2;
  // Every row starts on a 4-element boundary (vocab % 4 == 0) of a base aligned for the wide load.
  const bool vectorized = vocab % 4 == 0 && reinterpret_cast<uintptr_t>(logits) % (4 * width) == 0;
  switch (dtype) {
    case 0:
      sample_rows_kernel<float><<<grid, block, 0, stream>>>(static_cast<const float*>(logits), vocab, temperature, rng, greedy, vectorized, ids, out, r);
      break;
    case 1:
      sample_rows_kernel<__nv_bfloat16><<<grid, block, 0, stream>>>(static_cast<const __nv_bfloat16*>(logits), vocab, temperature, rng,
                                                                     greedy, vectorized, ids, out, r);
      break;
    case 2:
      sample_rows_kernel<__half><<<grid, block, 0, stream>>>(static_cast<const __half*>(logits), vocab, temperature, rng, greedy, vectorized, ids, out, r);
      break;
    default:
      return static_cast<int>(cudaErrorInvalidValue);
  }
  // The next call (or graph replay) draws from the next counter value.
  advance_counter<<<1, 1, 0, stream>>>(rng);
  return static_cast<int>(cudaGetLastError());
}
