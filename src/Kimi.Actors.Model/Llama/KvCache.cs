using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Pre-allocated key/value cache of a decode batch: one [B, kv_heads, capacity, head_dim] pair per layer, row b holding
/// its own sequence from position 0 (no left padding). Its shapes never change, so a decoding step can be replayed as a
/// CUDA graph. Before each forward pass the caller says what the pass is:
/// <see cref="ForPrefill"/> (whole sequences written into some rows from position 0; attention is causal over the new
/// tokens alone) or <see cref="ForDecode"/> (one token per row written at that row's position; attention over the first
/// <c>attendLength</c> positions under a mask the caller gives).
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys, _values;
    private Tensor? _slots, _writeIndex;
    private int _attendLength;

    public KvCache(ModelConfig config, long batch, int capacity, Device device, ScalarType dtype)
    {
        Capacity = capacity;
        Batch = batch;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            _keys[l] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device);
            _values[l] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device);
        }
    }

    public int Capacity { get; }
    public long Batch { get; }
    public bool Decoding => _writeIndex is not null;

    /// <summary>The next pass prefills whole sequences into cache rows <paramref name="slots"/> [n] (row i of the batch into slot i).</summary>
    public void ForPrefill(Tensor slots)
    {
        _slots = slots;
        _writeIndex = null;
    }

    /// <summary>
    /// The next pass decodes one token per cache row, written at <paramref name="positions"/> [B] (int64, on the cache's device),
    /// attending to positions [0, <paramref name="attendLength"/>) under the pass's mask.
    /// </summary>
    public void ForDecode(Tensor positions, int attendLength)
    {
        if (attendLength < 1 || attendLength > Capacity) throw new ArgumentOutOfRangeException(nameof(attendLength), attendLength, $"must be in [1, {Capacity}]");
        var k = _keys[0];
        // One index for every layer: [B, kv_heads, 1, head_dim] of each row's position.
        _writeIndex = positions.view(-1, 1, 1, 1).expand(k.shape[0], k.shape[1], 1, k.shape[3]);
        _attendLength = attendLength;
        _slots = null;
    }

    /// <summary>Prefill: writes the new keys/values [n, kv_heads, T, head_dim] into their slots from position 0.</summary>
    internal void WritePrefill(int layer, Tensor keys, Tensor values)
    {
        var slots = _slots ?? throw new InvalidOperationException("KvCache: ForPrefill was not called before the pass");
        long t = keys.shape[2];
        if (t > Capacity) throw new InvalidOperationException($"KV cache capacity {Capacity} exceeded by a prefill of {t} tokens");
        _keys[layer].narrow(2, 0, t).index_copy_(0, slots, keys);
        _values[layer].narrow(2, 0, t).index_copy_(0, slots, values);
    }

    /// <summary>Decode: writes this step's keys/values [B, kv_heads, 1, head_dim] at each row's position; returns what to attend to.</summary>
    internal (Tensor Keys, Tensor Values) WriteStep(int layer, Tensor keys, Tensor values)
    {
        var index = _writeIndex ?? throw new InvalidOperationException("KvCache: ForDecode was not called before the pass");
        _keys[layer].scatter_(2, index, keys);
        _values[layer].scatter_(2, index, values);
        return (_keys[layer].narrow(2, 0, _attendLength), _values[layer].narrow(2, 0, _attendLength));
    }

    /// <summary>Copies rows <paramref name="from"/> of <paramref name="source"/> into rows 0..n-1 of this cache (a smaller batch).</summary>
    public void CopyRowsFrom(KvCache source, Tensor from)
    {
        long n = from.shape[0];
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l].narrow(0, 0, n).copy_(source._keys[l].index_select(0, from));
            _values[l].narrow(0, 0, n).copy_(source._values[l].index_select(0, from));
        }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
