using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Rotary position embeddings in Llama's "rotate half" layout: frequencies for the first and second
/// half of each head are the same, so q·cos + rotate_half(q)·sin matches Hugging Face exactly.
/// </summary>
public sealed class RotaryEmbedding : nn.Module
{
    public RotaryEmbedding(ModelConfig config) : base(nameof(RotaryEmbedding))
    {
        using var scope = NewDisposeScope();
        var invFreq = InverseFrequencies(config.HeadDim, config.Rope);
        // float32 throughout, as transformers computes the tables, so positions far into the sequence round alike.
        var t = arange(config.MaxPositionEmbeddings, dtype: ScalarType.Float32);
        var freqs = outer(t, invFreq);
        var emb = cat([freqs, freqs], dim: -1);
        // Buffers, not fields (fields would be registered as persistent state), and not persistent:
        // Hugging Face does not store these tables in the state dict either.
        register_buffer("cos_cached", emb.cos().MoveToOuterDisposeScope(), persistent: false);
        register_buffer("sin_cached", emb.sin().MoveToOuterDisposeScope(), persistent: false);
    }

    /// <summary>
    /// inv_freq_i = 1 / theta^(2i/d) (transformers' default), and for rope_type llama3 Llama 3.1's rescaling: long
    /// wavelengths divided by factor, short ones kept, the band between blended linearly.
    /// </summary>
    public static Tensor InverseFrequencies(int headDim, RopeParameters rope)
    {
        using var scope = NewDisposeScope();
        // Explicit Scalars kept alive by the list until the end (see RmsNorm on implicit conversions).
        var held = new List<Scalar>();
        Scalar S(double v) { var s = v.ToScalar(); held.Add(s); return s; }
        try
        {
            var exponent = arange(0, headDim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32).div(S(headDim));
            var invFreq = full_like(exponent, S(rope.RopeTheta!.Value)).pow(exponent).reciprocal();
            if (rope.Type == "llama3")
            {
                double factor = rope.Factor!.Value, low = rope.LowFreqFactor!.Value, high = rope.HighFreqFactor!.Value;
                double oldContext = rope.OriginalMaxPositionEmbeddings!.Value;
                double lowFreqWavelen = oldContext / low, highFreqWavelen = oldContext / high;
                var wavelen = invFreq.reciprocal().mul(S(2 * Math.PI));
                var scaled = where(wavelen.gt(S(lowFreqWavelen)), invFreq.div(S(factor)), invFreq);
                var smooth = wavelen.reciprocal().mul(S(oldContext)).sub(S(low)).div(S(high - low));
                var smoothed = smooth.neg().add(S(1)).mul(scaled).div(S(factor)).add(smooth.mul(scaled));
                var medium = wavelen.lt(S(highFreqWavelen)).logical_not().logical_and(wavelen.gt(S(lowFreqWavelen)).logical_not());
                invFreq = where(medium, smoothed, scaled);
            }
            return invFreq.MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
    }

    // TorchSharp 0.107's Module.to does not move non-persistent buffers, so the tables follow the positions' device
    // here, copied once per device and kept outside any dispose scope.
    private Tensor? _cos, _sin;

    /// <summary>cos and sin for the given positions [B, T], shaped [B, 1, T, head_dim] to broadcast over heads.</summary>
    public (Tensor Cos, Tensor Sin) For(Tensor positionIds, ScalarType dtype)
    {
        var (cosTable, sinTable) = Tables(positionIds.device);
        var flat = positionIds.flatten();
        long b = positionIds.shape[0], t = positionIds.shape[1];
        var cos = cosTable.index_select(0, flat).view(b, 1, t, -1).to_type(dtype);
        var sin = sinTable.index_select(0, flat).view(b, 1, t, -1).to_type(dtype);
        return (cos, sin);
    }

    private (Tensor Cos, Tensor Sin) Tables(Device device)
    {
        var cos = get_buffer("cos_cached")!;
        if (cos.device_type == device.type && cos.device_index == device.index) return (cos, get_buffer("sin_cached")!);
        if (_cos is null || _cos.device_type != device.type || _cos.device_index != device.index)
        {
            _cos?.Dispose();
            _sin?.Dispose();
            _cos = cos.to(device).DetachFromDisposeScope();
            _sin = get_buffer("sin_cached")!.to(device).DetachFromDisposeScope();
        }
        return (_cos, _sin!);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _cos?.Dispose(); _sin?.Dispose(); }
        base.Dispose(disposing);
    }

    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], dim: -1);
        return x * cos + rotated * sin;
    }
}
