using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Pre-allocated key/value cache for incremental decoding: one [B, kv_heads, capacity, head_dim] pair per
/// layer, written in place so a decoding step allocates nothing that grows with the sequence.
/// </summary>
public sealed class KvCache : IDisposable
{
    private Tensor[] _keys, _values;
    private readonly int _capacity;

    public KvCache(ModelConfig config, long batch, int capacity, Device device, ScalarType dtype)
    {
        _capacity = capacity;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            _keys[l] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device);
            _values[l] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device);
        }
    }

    /// <summary>Positions filled so far (the same for every row: rows are left-padded to a common length).</summary>
    public int Length { get; private set; }
    public int Capacity => _capacity;
    public long Batch => _keys[0].shape[0];

    /// <summary>Writes this step's keys/values for layer <paramref name="layer"/>; returns views of everything cached.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        long t = keys.shape[2];
        if (Length + t > _capacity)
            throw new InvalidOperationException($"KV cache capacity {_capacity} exceeded (length {Length} + {t})");
        _keys[layer].narrow(2, Length, t).copy_(keys);
        _values[layer].narrow(2, Length, t).copy_(values);
        return (_keys[layer].narrow(2, 0, Length + t), _values[layer].narrow(2, 0, Length + t));
    }

    /// <summary>Called once per forward pass after every layer has appended.</summary>
    public void Advance(int steps) => Length += steps;

    /// <summary>Keeps only the given batch rows (drops finished sequences so later steps cost less).</summary>
    public void Keep(Tensor rowIndices)
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            var k = _keys[l].index_select(0, rowIndices);
            var v = _values[l].index_select(0, rowIndices);
            _keys[l].Dispose(); _values[l].Dispose();
            _keys[l] = k; _values[l] = v;
        }
    }

    /// <summary>Moves the cache tensors out of any dispose scope that is active while they are replaced.</summary>
    public void Detach()
    {
        foreach (var t in _keys) t.DetachFromDisposeScope();
        foreach (var t in _values) t.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
