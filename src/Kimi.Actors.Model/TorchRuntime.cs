using static TorchSharp.torch;

namespace Kimi.Actors.Model;

/// <summary>Process-wide TorchSharp setup: device selection and CPU thread count.</summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _cudaInitialised;

    /// <summary>
    /// Resolves "cpu", "cuda", "cuda:N" or "auto" (CUDA when available, else CPU). A CUDA device that is
    /// not available is an error, never a silent fall-back to CPU.
    /// </summary>
    public static Device ResolveDevice(string spec)
    {
        spec = spec.Trim().ToLowerInvariant();
        if (spec == "cpu") return CPU;
        if (spec == "auto" || spec.StartsWith("cuda"))
        {
            lock (Gate)
            {
                if (!_cudaInitialised)
                {
                    try { InitializeDeviceType(TorchSharp.DeviceType.CUDA); } catch (Exception) when (spec == "auto") { }
                    _cudaInitialised = true;
                }
            }
            bool available = cuda.is_available();
            if (spec == "auto") return available ? CUDA : CPU;
            if (!available) throw new ArgumentException($"device '{spec}' requested but CUDA is not available on this host");
            return new Device(spec);
        }
        throw new ArgumentException($"unknown device '{spec}': expected cpu, cuda, cuda:N or auto");
    }

    /// <summary>
    /// Whether bf16 arithmetic works on the device, found by running a small bf16 matrix product there (CPUs run it in
    /// libtorch's kernels; CUDA needs compute capability 8.0 or newer for it to be fast, older ones fail or emulate).
    /// </summary>
    public static bool SupportsBFloat16(Device device)
    {
        try
        {
            using var scope = NewDisposeScope();
            var a = ones([8, 8], dtype: ScalarType.BFloat16, device: device);
            return a.matmul(a).to_type(ScalarType.Float32).sum().item<float>() == 512f;
        }
        catch (Exception) { return false; }
    }

    /// <summary>
    /// The dtype to hold weights in: "float32", "bfloat16" (refused where the device lacks it) or "auto" (the checkpoint's
    /// own dtype where the device supports it, else float32).
    /// </summary>
    public static ScalarType ResolveDtype(string spec, Device device, ScalarType stored)
    {
        switch (spec.Trim().ToLowerInvariant())
        {
            case "float32" or "fp32": return ScalarType.Float32;
            case "bfloat16" or "bf16":
                if (!SupportsBFloat16(device)) throw new ArgumentException($"dtype 'bfloat16' requested but device {device} cannot compute in bf16");
                return ScalarType.BFloat16;
            case "auto": return stored == ScalarType.BFloat16 && SupportsBFloat16(device) ? ScalarType.BFloat16 : ScalarType.Float32;
            default: throw new ArgumentException($"unknown dtype '{spec}': expected float32, bfloat16 or auto");
        }
    }

    /// <summary>Sets intra-op threads (0 leaves libtorch's default of one per core).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) set_num_threads(threads);
    }
}
