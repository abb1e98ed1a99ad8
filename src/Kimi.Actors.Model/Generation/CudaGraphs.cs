using System.Runtime.InteropServices;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// CUDA-graph capture and replay through Kimi.Actors' native shim (native/kimi_cuda_graphs: at::cuda::CUDAGraph behind a
/// C ABI, built on the GPU host against its PyTorch's libtorch). TorchSharp 0.107 has no graph API. The same library's
/// version 2 also carries the fused kernels of <see cref="Cuda.CudaKernels"/>. The library is
/// looked for in <c>KIMI_CUDA_GRAPHS</c> (a file), then beside this assembly; without it, or off CUDA, decoding runs
/// eagerly (<see cref="Status"/> says why).
/// </summary>
public static class CudaGraphs
{
    public const string LibraryName = "kimi_cuda_graphs";
    public const string PathVariable = "KIMI_CUDA_GRAPHS";

    private static readonly Lazy<(bool Ok, string Status)> Loaded = new(Load);

    /// <summary>Whether the shim is loaded (graphs still need a CUDA device).</summary>
    public static bool Available => Loaded.Value.Ok;

    /// <summary>"loaded from PATH", or why not.</summary>
    public static string Status => Loaded.Value.Status;

    private static (bool, string) Load()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } file) candidates.Add(file);
        string here = Path.GetDirectoryName(typeof(CudaGraphs).Assembly.Location) ?? AppContext.BaseDirectory;
        candidates.Add(Path.Combine(here, $"lib{LibraryName}.so"));
        candidates.Add(Path.Combine(here, "runtimes", "linux-x64", "native", $"lib{LibraryName}.so"));
        foreach (var path in candidates.Where(File.Exists))
        {
            if (!NativeLibrary.TryLoad(path, out var handle)) return (false, $"{path} did not load (built against another libtorch?)");
            try
            {
                Native.Bind(handle);
                int version = Native.Version();
                if (version is < 1 or > 2) return (false, $"{path}: version {version}, expected 1 or 2");
                // Version 2 adds the fused kernels (CudaKernels); a version-1 library still gives graphs.
                if (version >= 2) Native.BindKernels(handle);
                return (true, $"loaded from {path} (version {version}{(version >= 2 ? Native.Sample is not null ? ", sampling kernel" : ", no sampling kernel" : "")})");
            }
            catch (Exception e) when (e is EntryPointNotFoundException or InvalidOperationException)
            {
                return (false, $"{path}: {e.Message}");
            }
        }
        return (false, $"lib{LibraryName}.so not found ({PathVariable} unset or missing, none beside {here})");
    }

    /// <summary>
    /// Captures what <paramref name="body"/> runs on the current thread's CUDA work as a graph: two warm-up runs on a side
    /// stream (lazy initialisation, workspaces), then the capture on that stream. <paramref name="body"/> must not copy
    /// between host and device and must leave its outputs in tensors allocated before (replays write them again).
    /// </summary>
    /// <exception cref="InvalidOperationException">The capture failed (the message says where); nothing is left half-captured.</exception>
    public static CudaGraph Capture(int device, Action body, int warmups = 2)
    {
        if (!Available) throw new InvalidOperationException("CUDA graphs: " + Status);
        var handle = Native.Create(device);
        if (handle == IntPtr.Zero) throw new InvalidOperationException("CUDA graphs: create failed: " + Native.LastError());
        var graph = new CudaGraph(handle);
        try
        {
            Check(Native.StreamEnter(handle), "stream enter");
            try
            {
                for (int i = 0; i < warmups; i++) body();
                Check(Native.CaptureBegin(handle), "capture begin");
                Exception? failure = null;
                try { body(); }
                catch (Exception e) { failure = e; }
                // A capture is always ended, also after a failure (it is then discarded).
                int ended = Native.CaptureEnd(handle);
                if (failure is not null) throw new InvalidOperationException($"CUDA graphs: the captured step threw: {failure.Message}", failure);
                Check(ended, "capture end");
            }
            finally
            {
                Native.StreamExit(handle);
            }
            return graph;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    internal static void Check(int code, string what)
    {
        if (code != 0) throw new InvalidOperationException($"CUDA shim: {what} failed: {Native.LastError()}");
    }

    internal static class Native
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate int IntFn();
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate IntPtr PtrFn();
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate IntPtr CreateFn(int device);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate int HandleFn(IntPtr graph);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate void DestroyFn(IntPtr graph);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int SampleFn(IntPtr logits, IntPtr temperature, IntPtr rng, IntPtr ids, IntPtr output, int greedy);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int AdamWFn(IntPtr[] parameters, IntPtr[] grads, IntPtr[] expAvgs, IntPtr[] expAvgSqs, int n,
            double lr, double beta1, double beta2, double eps, double weightDecay, long step);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate int ClipFn(IntPtr[] grads, int n, double maxNorm, out double norm);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] internal delegate int HeadForwardFn(IntPtr logits, IntPtr targets, IntPtr logp, IntPtr lse);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int HeadBackwardFn(IntPtr logits, IntPtr targets, IntPtr lse, IntPtr grad, IntPtr gradLogits);

        private static IntFn? _version;
        private static PtrFn? _lastError;
        private static CreateFn? _create;
        private static HandleFn? _enter, _begin, _end, _exit, _replay;
        private static DestroyFn? _destroy;
        internal static SampleFn? Sample;
        internal static AdamWFn? AdamW;
        internal static ClipFn? Clip;
        internal static HeadForwardFn? HeadForward;
        internal static HeadBackwardFn? HeadBackward;

        internal static void Bind(IntPtr lib)
        {
            T Get<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));
            _version = Get<IntFn>("kimi_graphs_version");
            _lastError = Get<PtrFn>("kimi_graphs_last_error");
            _create = Get<CreateFn>("kimi_graph_create");
            _enter = Get<HandleFn>("kimi_graph_stream_enter");
            _begin = Get<HandleFn>("kimi_graph_capture_begin");
            _end = Get<HandleFn>("kimi_graph_capture_end");
            _exit = Get<HandleFn>("kimi_graph_stream_exit");
            _replay = Get<HandleFn>("kimi_graph_replay");
            _destroy = Get<DestroyFn>("kimi_graph_destroy");
        }

        internal static void BindKernels(IntPtr lib)
        {
            T Get<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));
            // Built without nvcc, the library has graphs, AdamW and clip but neither the sampling nor the head kernels.
            if (Get<IntFn>("kimi_has_sample_kernel")() != 0)
            {
                Sample = Get<SampleFn>("kimi_sample_rows");
                HeadForward = Get<HeadForwardFn>("kimi_token_logprobs_forward");
                HeadBackward = Get<HeadBackwardFn>("kimi_token_logprobs_backward");
            }
            AdamW = Get<AdamWFn>("kimi_adamw_step");
            Clip = Get<ClipFn>("kimi_clip_grad_norm");
        }

        internal static int Version() => _version!();
        internal static string LastError() => Marshal.PtrToStringUTF8(_lastError!()) ?? "";
        internal static IntPtr Create(int device) => _create!(device);
        internal static int StreamEnter(IntPtr g) => _enter!(g);
        internal static int CaptureBegin(IntPtr g) => _begin!(g);
        internal static int CaptureEnd(IntPtr g) => _end!(g);
        internal static int StreamExit(IntPtr g) => _exit!(g);
        internal static int Replay(IntPtr g) => _replay!(g);
        internal static void Destroy(IntPtr g) => _destroy!(g);
    }
}

/// <summary>A captured CUDA graph (with its private memory pool); <see cref="Replay"/> runs it on the current stream.</summary>
public sealed class CudaGraph : IDisposable
{
    private IntPtr _handle;

    internal CudaGraph(IntPtr handle) => _handle = handle;

    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_handle == IntPtr.Zero, this);
        CudaGraphs.Check(CudaGraphs.Native.Replay(_handle), "replay");
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        CudaGraphs.Native.Destroy(_handle);
        _handle = IntPtr.Zero;
    }
}
