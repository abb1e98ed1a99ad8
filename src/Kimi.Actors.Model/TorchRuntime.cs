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

    /// <summary>Sets intra-op threads (0 leaves libtorch's default of one per core).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) set_num_threads(threads);
    }
}
