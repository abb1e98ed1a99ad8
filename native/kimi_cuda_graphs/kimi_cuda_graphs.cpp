// Kimi.Actors' CUDA shim: at::cuda::CUDAGraph (with its private memory pool) behind a C ABI, so a .NET program that runs
// its tensor operations through TorchSharp can capture a decode step and replay it; and (version 2) the few fused
// operations TorchSharp 0.107 cannot reach: one-kernel sampling of a decode step (sample_rows.cu), libtorch's fused
// AdamW and the multi-tensor gradient-norm clip. This library is built against the libtorch the program loads at run
// time (the GPU host's PyTorch), so both share one CUDA caching allocator and one notion of the current stream, and a
// TorchSharp tensor handle is an at::Tensor* here. Capture happens on a side stream set as the thread's current stream,
// so every operation TorchSharp issues from that thread is recorded.
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>

#include <exception>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#if KIMI_SAMPLE_KERNEL
extern "C" int kimi_launch_sample_rows(const void* logits, int dtype, int64_t rows, int64_t vocab, const float* temperature,
                                       int64_t* rng, bool greedy, int64_t* ids, float* out, cudaStream_t stream);
extern "C" int kimi_launch_token_logprobs(int backward, const void* logits, int dtype, int64_t rows, int64_t vocab, const int64_t* targets,
                                          float* logp, float* lse, const float* grad, void* grad_logits, cudaStream_t stream);
#endif

namespace {

thread_local std::string last_error;

struct KimiGraph {
  explicit KimiGraph(c10::DeviceIndex d) : device(d) {}
  c10::DeviceIndex device;
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> original;
  std::optional<c10::cuda::CUDAStream> side;
  bool captured = false;
};

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return -1;
}

at::Tensor& tensor_of(void* handle, const char* what) {
  if (handle == nullptr) throw std::invalid_argument(std::string(what) + ": null tensor handle");
  return *static_cast<at::Tensor*>(handle);
}

std::vector<at::Tensor> tensors_of(void** handles, int n, const char* what) {
  std::vector<at::Tensor> list;
  list.reserve(n);
  for (int i = 0; i < n; ++i) list.push_back(tensor_of(handles[i], what));
  return list;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

int dtype_code(const at::Tensor& t, const char* what) {
  switch (t.scalar_type()) {
    case at::kFloat: return 0;
    case at::kBFloat16: return 1;
    case at::kHalf: return 2;
    default: throw std::invalid_argument(std::string(what) + ": float32, bfloat16 or float16");
  }
}

// Checks the head's tensors: logits [rows, vocab] contiguous CUDA, targets int64 [rows], and float32 [rows] vectors.
void check_head(const at::Tensor& logits, const at::Tensor& targets, std::initializer_list<const at::Tensor*> vectors) {
  require(logits.is_cuda() && logits.dim() == 2 && logits.is_contiguous(), "logits: a contiguous [rows, vocab] CUDA tensor");
  const auto rows = logits.size(0);
  require(targets.device() == logits.device() && targets.scalar_type() == at::kLong && targets.numel() == rows && targets.is_contiguous(),
          "targets: int64 [rows] on the logits' device");
  for (const at::Tensor* v : vectors)
    require(v->device() == logits.device() && v->scalar_type() == at::kFloat && v->numel() == rows && v->is_contiguous(),
            "log-probs, log-sum-exps and their gradient: float32 [rows] on the logits' device");
}

}  // namespace

extern "C" {

int kimi_graphs_version() { return 2; }

// Whether this build has the sampling kernel (nvcc was found when it was built).
int kimi_has_sample_kernel() {
#if KIMI_SAMPLE_KERNEL
  return 1;
#else
  return 0;
#endif
}

const char* kimi_graphs_last_error() { return last_error.c_str(); }

void* kimi_graph_create(int device) {
  try {
    return new KimiGraph(static_cast<c10::DeviceIndex>(device));
  } catch (const std::exception& e) {
    last_error = e.what();
    return nullptr;
  }
}

// Makes a side stream from PyTorch's pool current for this thread, after the work already queued on the current one.
int kimi_graph_stream_enter(void* handle) {
  return guarded([&] {
    auto* g = static_cast<KimiGraph*>(handle);
    c10::cuda::CUDAGuard guard(g->device);
    g->original = c10::cuda::getCurrentCUDAStream(g->device);
    g->side = c10::cuda::getStreamFromPool(false, g->device);
    at::cuda::CUDAEvent ready;
    ready.record(*g->original);
    ready.block(*g->side);
    c10::cuda::setCurrentCUDAStream(*g->side);
  });
}

int kimi_graph_capture_begin(void* handle) {
  return guarded([&] {
    auto* g = static_cast<KimiGraph*>(handle);
    // Thread-local mode: other threads of the process (other actors) may use CUDA while this one captures.
    g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
  });
}

int kimi_graph_capture_end(void* handle) {
  return guarded([&] {
    auto* g = static_cast<KimiGraph*>(handle);
    g->graph.capture_end();
    g->captured = true;
  });
}

// Back to the stream that was current before kimi_graph_stream_enter, after the side stream's work.
int kimi_graph_stream_exit(void* handle) {
  return guarded([&] {
    auto* g = static_cast<KimiGraph*>(handle);
    if (!g->original || !g->side) return;
    c10::cuda::CUDAGuard guard(g->device);
    at::cuda::CUDAEvent done;
    done.record(*g->side);
    done.block(*g->original);
    c10::cuda::setCurrentCUDAStream(*g->original);
  });
}

// Replays on the thread's current stream.
int kimi_graph_replay(void* handle) {
  return guarded([&] {
    auto* g = static_cast<KimiGraph*>(handle);
    if (!g->captured) throw std::runtime_error("kimi_graph_replay: nothing captured");
    g->graph.replay();
  });
}

// Samples every row of logits [rows, vocab] on the current stream (see sample_rows.cu): ids [rows] or [rows, 1] int64
// and out [2, rows] float32 (token, log-prob) are written; rng [2] int64 is (seed, counter) and the counter advances.
int kimi_sample_rows(void* logits_h, void* temperature_h, void* rng_h, void* ids_h, void* out_h, int greedy) {
  return guarded([&] {
    auto& logits = tensor_of(logits_h, "logits");
    auto& temperature = tensor_of(temperature_h, "temperature");
    auto& rng = tensor_of(rng_h, "rng");
    auto& ids = tensor_of(ids_h, "ids");
    auto& out = tensor_of(out_h, "out");
    require(logits.is_cuda() && logits.dim() == 2 && logits.is_contiguous(), "logits: a contiguous [rows, vocab] CUDA tensor");
    const int64_t rows = logits.size(0), vocab = logits.size(1);
    const int dtype = dtype_code(logits, "logits");
    const auto device = logits.device();
    require(temperature.device() == device && temperature.scalar_type() == at::kFloat && temperature.numel() >= 1, "temperature: float32 on the logits' device");
    require(rng.device() == device && rng.scalar_type() == at::kLong && rng.numel() >= 2 && rng.is_contiguous(), "rng: int64 [2] on the logits' device");
    require(ids.device() == device && ids.scalar_type() == at::kLong && ids.numel() == rows && ids.is_contiguous(), "ids: int64 [rows] on the logits' device");
    require(out.device() == device && out.scalar_type() == at::kFloat && out.numel() == 2 * rows && out.is_contiguous(), "out: float32 [2, rows] on the logits' device");
    c10::cuda::CUDAGuard guard(device);
#if !KIMI_SAMPLE_KERNEL
    throw std::runtime_error("kimi_sample_rows: this build has no sampling kernel (no nvcc when it was built)");
#else
    int code = kimi_launch_sample_rows(logits.data_ptr(), dtype, rows, vocab, temperature.data_ptr<float>(), rng.data_ptr<int64_t>(),
                                       greedy != 0, ids.data_ptr<int64_t>(), out.data_ptr<float>(), at::cuda::getCurrentCUDAStream());
    if (code != 0) throw std::runtime_error(std::string("sample_rows launch: ") + cudaGetErrorString(static_cast<cudaError_t>(code)));
#endif
  });
}

// The training head (token_logprobs.cu): logp[r] = log_softmax(logits[r])[targets[r]] and lse[r] = logsumexp(logits[r]).
int kimi_token_logprobs_forward(void* logits_h, void* targets_h, void* logp_h, void* lse_h) {
  return guarded([&] {
    auto& logits = tensor_of(logits_h, "logits");
    auto& targets = tensor_of(targets_h, "targets");
    auto& logp = tensor_of(logp_h, "logp");
    auto& lse = tensor_of(lse_h, "lse");
    check_head(logits, targets, {&logp, &lse});
    c10::cuda::CUDAGuard guard(logits.device());
#if !KIMI_SAMPLE_KERNEL
    throw std::runtime_error("kimi_token_logprobs_forward: this build has no CUDA kernels (no nvcc when it was built)");
#else
    int code = kimi_launch_token_logprobs(0, logits.data_ptr(), dtype_code(logits, "logits"), logits.size(0), logits.size(1), targets.data_ptr<int64_t>(),
                                          logp.data_ptr<float>(), lse.data_ptr<float>(), nullptr, nullptr, at::cuda::getCurrentCUDAStream());
    if (code != 0) throw std::runtime_error(std::string("token_logprobs forward: ") + cudaGetErrorString(static_cast<cudaError_t>(code)));
#endif
  });
}

// Its gradient: grad_logits[r] = grad[r] * (onehot(targets[r]) - softmax(logits[r])), in the logits' dtype.
int kimi_token_logprobs_backward(void* logits_h, void* targets_h, void* lse_h, void* grad_h, void* grad_logits_h) {
  return guarded([&] {
    auto& logits = tensor_of(logits_h, "logits");
    auto& targets = tensor_of(targets_h, "targets");
    auto& lse = tensor_of(lse_h, "lse");
    auto& grad = tensor_of(grad_h, "grad");
    auto& grad_logits = tensor_of(grad_logits_h, "grad_logits");
    check_head(logits, targets, {&lse, &grad});
    require(grad_logits.sizes() == logits.sizes() && grad_logits.scalar_type() == logits.scalar_type() && grad_logits.is_contiguous() &&
                grad_logits.device() == logits.device(), "grad_logits: contiguous, the logits' shape, dtype and device");
    c10::cuda::CUDAGuard guard(logits.device());
#if !KIMI_SAMPLE_KERNEL
    throw std::runtime_error("kimi_token_logprobs_backward: this build has no CUDA kernels (no nvcc when it was built)");
#else
    int code = kimi_launch_token_logprobs(1, logits.data_ptr(), dtype_code(logits, "logits"), logits.size(0), logits.size(1), targets.data_ptr<int64_t>(),
                                          nullptr, lse.data_ptr<float>(), grad.data_ptr<float>(), grad_logits.data_ptr(), at::cuda::getCurrentCUDAStream());
    if (code != 0) throw std::runtime_error(std::string("token_logprobs backward: ") + cudaGetErrorString(static_cast<cudaError_t>(code)));
#endif
  });
}

// One AdamW step of n parameters (one dtype, one device) in libtorch's fused kernel: the update TorchSharp's per-tensor
// operations make in about eight kernels per parameter (PyTorch's own AdamW(fused=True)). step is the count after this one.
int kimi_adamw_step(void** params_h, void** grads_h, void** exp_avgs_h, void** exp_avg_sqs_h, int n, double lr, double beta1,
                    double beta2, double eps, double weight_decay, int64_t step) {
  return guarded([&] {
    if (n <= 0) return;
    auto params = tensors_of(params_h, n, "params");
    auto grads = tensors_of(grads_h, n, "grads");
    auto exp_avgs = tensors_of(exp_avgs_h, n, "exp_avgs");
    auto exp_avg_sqs = tensors_of(exp_avg_sqs_h, n, "exp_avg_sqs");
    c10::cuda::CUDAGuard guard(params[0].device());
    // The kernel reads each parameter's step count; one tensor serves them all.
    auto steps = at::full({}, static_cast<double>(step), params[0].options().dtype(at::kFloat));
    std::vector<at::Tensor> state_steps(n, steps);
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, {}, state_steps, lr, beta1, beta2, weight_decay, eps,
                      /*amsgrad=*/false, /*maximize=*/false, std::nullopt, std::nullopt);
  });
}

// The total 2-norm of n gradients (float32 accumulation) into *norm; with max_norm > 0 the gradients are scaled by
// min(1, max_norm / (norm + 1e-6)) on the device, as torch.nn.utils.clip_grad_norm_ (foreach) does. One host read.
int kimi_clip_grad_norm(void** grads_h, int n, double max_norm, double* norm) {
  return guarded([&] {
    *norm = 0;
    if (n <= 0) return;
    auto grads = tensors_of(grads_h, n, "grads");
    c10::cuda::CUDAGuard guard(grads[0].device());
    auto norms = at::_foreach_norm(grads, 2, at::kFloat);
    auto total = at::linalg_vector_norm(at::stack(norms), 2);
    if (max_norm > 0) {
      auto coef = total.add(1e-6).reciprocal().mul(max_norm).clamp_max(1.0);
      at::_foreach_mul_(grads, coef);
    }
    *norm = total.item<double>();
  });
}

void kimi_graph_destroy(void* handle) {
  try {
    delete static_cast<KimiGraph*>(handle);
  } catch (...) {
  }
}

}  // extern "C"
