// Kimi.Actors' CUDA-graph shim: at::cuda::CUDAGraph (with its private memory pool) behind a C ABI, so a .NET program
// that runs its tensor operations through TorchSharp can capture a decode step and replay it. TorchSharp 0.107 has no
// CUDA graph API; this library is built against the libtorch the program loads at run time (the GPU host's PyTorch),
// so both share one CUDA caching allocator and one notion of the current stream. Capture happens on a side stream set
// as the thread's current stream, so every operation TorchSharp issues from that thread is recorded.
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <exception>
#include <optional>
#include <string>

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

}  // namespace

extern "C" {

int kimi_graphs_version() { return 1; }

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

void kimi_graph_destroy(void* handle) {
  try {
    delete static_cast<KimiGraph*>(handle);
  } catch (...) {
  }
}

}  // extern "C"
