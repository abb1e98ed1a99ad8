using Kimi.Actors.Model.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// The decoding machinery of one model: static batches (KV cache, input ids, positions, logits), the step functions, and
/// on CUDA with the native shim the captured graphs of each batch-size bucket, kept across calls (the weights are
/// updated in place, so a graph stays valid while the model lives). One step is: sample every row's next token from the
/// logits (on the device) → the host reads ids and log-probs → rows finish, the batch shrinks or is refilled → forward one
/// token per row (each row at its own position, masked to its own keys).
/// </summary>
public sealed class DecodeEngine : IDisposable
{
    /// <summary>Batch-size buckets of captured graphs: powers of two (a batch between two runs in the larger).</summary>
    public static int Bucket(int rows, int maxRows)
    {
        int b = 1;
        while (b < rows) b <<= 1;
        return Math.Min(b, Math.Max(rows, maxRows));
    }

    private const int CapacityStep = 64;
    private const int AttendStep = 64;
    // Coarser for graphs: each attended length is one more captured graph (and memory pool) per batch bucket.
    private const int GraphAttendStep = 128;

    /// <summary>What a step attends to: the <paramref name="filled"/> positions rounded up to a multiple of <paramref name="step"/>, at most the capacity.</summary>
    public static int AttendLength(int filled, int capacity, int step) => Math.Min(capacity, (filled + step - 1) / step * step);

    /// <summary>The attended lengths a graph bucket captures: every <see cref="AttendLength"/> a step of it can ask for.</summary>
    public static IEnumerable<int> GraphAttendLengths(int capacity) =>
        Enumerable.Range(1, (capacity + GraphAttendStep - 1) / GraphAttendStep).Select(k => AttendLength(k * GraphAttendStep, capacity, GraphAttendStep));

    private readonly LlamaForCausalLM _model;
    private readonly Dictionary<int, DecodeBatch> _graphBatches = [];
    private int _graphCapacity;
    // CUDA: (seed, counter) of the sampling kernel, one tensor for the engine's life (captured graphs point at it).
    private Tensor? _rng;

    private DecodeEngine(LlamaForCausalLM model) => _model = model;

    /// <summary>The engine of <paramref name="model"/> (made on first use, disposed with the model).</summary>
    public static DecodeEngine Of(LlamaForCausalLM model) => model.Decoder ??= new DecodeEngine(model);

    /// <summary>Why graphs are off for this model, once a capture failed (then it decodes eagerly).</summary>
    public string? GraphFailure { get; private set; }

    /// <summary>"cuda-graph" or "eager", as a call with these options on this model's device would decode.</summary>
    public static string Describe(LlamaForCausalLM model, GenerationOptions options) =>
        UsesGraphs(model, options) && model.Decoder?.GraphFailure is null ? "cuda-graph" : "eager";

    private static bool UsesGraphs(LlamaForCausalLM model, GenerationOptions options) =>
        options.CudaGraphs && model.parameters().First().device_type == DeviceType.CUDA && CudaGraphs.Available;

    private sealed class Row(int request, int maxNew, int[] prior)
    {
        public readonly int Request = request;
        public readonly int MaxNew = maxNew;
        public readonly List<int> Tokens = [];
        public readonly List<float> LogProbs = [];
        public readonly List<int> Response = [.. prior];
    }

    internal (long Produced, string Decoding) Run(IReadOnlyList<GenerationRequest> requests, List<int> pending, GenerationOptions options,
        HashSet<int> stopTokens, GenerationResult?[] results)
    {
        var device = _model.parameters().First().device;
        bool graphs = UsesGraphs(_model, options) && GraphFailure is null;
        int maxPositions = _model.Config.MaxPositionEmbeddings;
        int capacity = pending.Max(i => requests[i].Prompt.Length + requests[i].PrefixLength + (requests[i].ResponseLimit(options) - requests[i].PrefixLength));
        if (graphs)
        {
            // One capacity for every bucket, kept while it suffices: graphs captured for it stay valid across calls.
            capacity = Math.Min(maxPositions, (capacity + CapacityStep - 1) / CapacityStep * CapacityStep);
            if (capacity > _graphCapacity) ReleaseGraphs();
            capacity = _graphCapacity = Math.Max(capacity, _graphCapacity);
        }

        // Sampling on the device: CPU draws from the call's generator; CUDA from its default generator, seeded here (graph
        // replays advance its offset, as PyTorch's do).
        using var cpuGenerator = device.type == DeviceType.CPU ? new Generator((ulong)options.Seed, device) : null;
        if (device.type == DeviceType.CUDA)
        {
            cuda.manual_seed(options.Seed);
            _rng ??= zeros([2], dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
            using var seeded = tensor(new long[] { options.Seed, 0 }, device: device);
            _rng.copy_(seeded);
        }
        bool greedy = options.Temperature == 0;
        using var temperature = tensor(new[] { (float)Math.Max(options.Temperature, 1e-6) }, device: device);
        using var sampler = new DecodeSampler(greedy, options.TopP, temperature, cpuGenerator, _rng);

        var queue = new Queue<int>(pending);
        int maxRows = options.MaxBatchSize;
        long budgetLeft = options.TokenBudget ?? long.MaxValue;
        long produced = 0;
        DecodeBatch batch = NewBatch(Math.Min(queue.Count, maxRows), capacity, ref graphs, maxRows, sampler);
        var slots = new Row?[batch.Rows];
        Admit(batch, slots, queue, requests, options);
        try
        {
            while (true)
            {
                int active = slots.Count(r => r is not null);
                if (active == 0 && queue.Count == 0) break;
                if (budgetLeft < active)
                {
                    // The budget cannot give every row its next token: all stop here, unfinished (continued next call).
                    foreach (var row in slots.Where(r => r is not null)) results[row!.Request] = Result(row, StopReason.Budget);
                    while (queue.TryDequeue(out int waiting)) results[waiting] = new GenerationResult([], [], StopReason.Budget);
                    break;
                }

                var (tokens, logProbs) = SampleOnHost(batch, sampler);
                for (int s = 0; s < slots.Length; s++)
                {
                    if (slots[s] is not { } row) continue;
                    int t = tokens[s];
                    row.Tokens.Add(t); row.LogProbs.Add(logProbs[s]); row.Response.Add(t);
                    produced++; budgetLeft--;
                    StopReason? stop = stopTokens.Contains(t) ? StopReason.Stop
                        : row.Tokens.Count >= row.MaxNew ? StopReason.MaxLength
                        : options.RepeatDetector?.IsRepeating(row.Response) == true ? StopReason.Repeat : null;
                    if (stop is { } reason)
                    {
                        results[row.Request] = Result(row, reason);
                        slots[s] = null;
                    }
                }
                int stillActive = slots.Count(r => r is not null);
                if (stillActive == 0 && queue.Count == 0) break;
                if (stillActive == 0)
                {
                    Admit(batch, slots, queue, requests, options);
                    continue;
                }

                if (queue.Count == 0)
                {
                    // Nothing waits: shrink the batch to the rows still decoding, so later steps cost only those.
                    int target = graphs ? Bucket(stillActive, maxRows) : stillActive;
                    bool shrink = graphs ? target < batch.Rows : stillActive <= batch.Rows * 3 / 4;
                    if (shrink) (batch, slots) = Compact(batch, slots, target, ref graphs, maxRows, sampler);
                }
                Forward(batch);
                int free = slots.Count(r => r is null);
                if (queue.Count > 0 && free > 0 && (free >= Math.Max(1, batch.Rows / 8) || stillActive <= free))
                    Admit(batch, slots, queue, requests, options);
            }
        }
        finally
        {
            if (!batch.Cached) batch.Dispose();
        }
        return (produced, graphs ? "cuda-graph" : "eager");
    }

    private static GenerationResult Result(Row row, StopReason reason) => new(row.Tokens.ToArray(), row.LogProbs.ToArray(), reason);

    /// <summary>A batch of <paramref name="rows"/> rows: a cached graph bucket, or (eager) one made for this call.</summary>
    private DecodeBatch NewBatch(int rows, int capacity, ref bool graphs, int maxRows, DecodeSampler sampler)
    {
        if (graphs)
        {
            int bucket = Bucket(rows, maxRows);
            try { return GraphBatch(bucket, capacity, sampler); }
            catch (InvalidOperationException e)
            {
                // Graphs off for this model (its CUDA context is still good: a failed capture is discarded): eager from here.
                GraphFailure = e.Message;
                ReleaseGraphs();
                graphs = false;
            }
        }
        return new DecodeBatch(_model, rows, capacity, cached: false);
    }

    private DecodeBatch GraphBatch(int rows, int capacity, DecodeSampler sampler)
    {
        if (!_graphBatches.TryGetValue(rows, out var batch))
        {
            batch = new DecodeBatch(_model, rows, capacity, cached: true);
            try
            {
                int device = _model.parameters().First().device_index;
                // One graph per attended length (multiples of GraphAttendStep up to the capacity): a step attends to the
                // positions filled so far, rounded up, not to the whole capacity under a mask.
                foreach (int attend in GraphAttendLengths(capacity))
                {
                    batch.Forwards[attend] = CudaGraphs.Capture(device, () => ForwardStep(batch, attend));
                    batch.Pos.zero_();
                }
            }
            catch
            {
                batch.Dispose();
                throw;
            }
            _graphBatches[rows] = batch;
        }
        var key = (sampler.Greedy, sampler.TopP);
        if (!batch.Samplers.ContainsKey(key))
        {
            batch.Temperature.copy_(sampler.Temperature);
            // The sampler's temperature is read from the batch's own tensor, so one graph serves every temperature.
            var own = new DecodeSampler(sampler.Greedy, sampler.TopP, batch.Temperature, null, _rng);
            // The capture's warm-up runs advance the kernel's counter; put it back, so a seed draws the same numbers
            // whether or not this call captured.
            using var counter = _rng?.clone();
            batch.Samplers[key] = (own, CudaGraphs.Capture(_model.parameters().First().device_index, () => SampleStep(batch, own)));
            if (counter is not null) _rng!.copy_(counter);
        }
        return batch;
    }

    /// <summary>Moves the rows still decoding into a batch of <paramref name="rows"/> rows (row order kept).</summary>
    private (DecodeBatch, Row?[]) Compact(DecodeBatch from, Row?[] slots, int rows, ref bool graphs, int maxRows, DecodeSampler sampler)
    {
        var keep = Enumerable.Range(0, slots.Length).Where(s => slots[s] is not null).ToArray();
        var to = NewBatch(rows, from.Capacity, ref graphs, maxRows, sampler);
        using (var scope = NewDisposeScope())
        {
            var index = tensor(keep.Select(s => (long)s).ToArray(), device: from.Ids.device);
            to.Cache.CopyRowsFrom(from.Cache, index);
            to.Ids.narrow(0, 0, keep.Length).copy_(from.Ids.index_select(0, index));
            to.Pos.narrow(0, 0, keep.Length).copy_(from.Pos.index_select(0, index));
        }
        var next = new Row?[to.Rows];
        for (int i = 0; i < keep.Length; i++)
        {
            next[i] = slots[keep[i]];
            to.HostPos[i] = from.HostPos[keep[i]];
        }
        if (!from.Cached) from.Dispose();
        return (to, next);
    }

    /// <summary>
    /// Fills free slots from the queue: each new row is prefilled (its prompt and earlier response tokens), its logits
    /// land in the batch's logits row, and its position is its length. Rows are prefilled in groups of similar length.
    /// </summary>
    private void Admit(DecodeBatch batch, Row?[] slots, Queue<int> queue, IReadOnlyList<GenerationRequest> requests, GenerationOptions options)
    {
        var admitted = new List<(int Slot, int[] Sequence)>();
        var rowImages = new Dictionary<int, IReadOnlyList<Vision.ImagePixels>?>();
        for (int s = 0; s < slots.Length && queue.Count > 0; s++)
        {
            if (slots[s] is not null) continue;
            int i = queue.Dequeue();
            var r = requests[i];
            slots[s] = new Row(i, r.ResponseLimit(options) - r.PrefixLength, r.Prefix ?? []);
            admitted.Add((s, [.. r.Prompt, .. r.Prefix ?? []]));
            rowImages[s] = r.Images;
        }
        foreach (var group in PrefillGroups(admitted, options.MaxPrefillTokens)) Prefill(batch, group, rowImages);
    }

    /// <summary>
    /// Groups of rows prefilled together: sorted by length, a group closes when the next row is much longer than its
    /// first (padding it would waste most of the pass) or the group's padded tokens would pass <paramref name="maxTokens"/>.
    /// </summary>
    public static IEnumerable<List<(int Slot, int[] Sequence)>> PrefillGroups(IReadOnlyList<(int Slot, int[] Sequence)> rows, int maxTokens)
    {
        var group = new List<(int Slot, int[] Sequence)>();
        foreach (var row in rows.OrderBy(r => r.Sequence.Length))
        {
            int first = group.Count > 0 ? group[0].Sequence.Length : row.Sequence.Length;
            bool muchLonger = row.Sequence.Length > first + Math.Max(8, first / 2);
            if (group.Count > 0 && (muchLonger || (group.Count + 1) * (long)row.Sequence.Length > maxTokens))
            {
                yield return group;
                group = [];
            }
            group.Add(row);
        }
        if (group.Count > 0) yield return group;
    }

    /// <remarks>
    /// The images enter only here: their patches are spliced into the prefill's embeddings, and every later step attends
    /// to them through the cache.
    /// </remarks>
    private void Prefill(DecodeBatch batch, List<(int Slot, int[] Sequence)> group, IReadOnlyDictionary<int, IReadOnlyList<Vision.ImagePixels>?> rowImages)
    {
        using var scope = NewDisposeScope();
        var device = batch.Ids.device;
        int n = group.Count, width = group.Max(g => g.Sequence.Length);
        int pad = _model.Config.PaddingId;
        var ids = new long[n * width];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < width; j++) ids[r * width + j] = j < group[r].Sequence.Length ? group[r].Sequence[j] : pad;
        var slots = tensor(group.Select(g => (long)g.Slot).ToArray(), device: device);
        var lengths = group.Select(g => (long)g.Sequence.Length).ToArray();
        var input = tensor(ids, [n, width], device: device);
        var positions = arange(width, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(n, width);
        batch.Cache.ForPrefill(slots);
        // Right-padded rows under a causal mask: each row's last real token sees exactly its own sequence.
        var groupImages = group.SelectMany(g => rowImages[g.Slot] ?? []).ToList();
        using var images = groupImages.Count == 0 ? null
            : Vision.ImageBatch.From(groupImages, _model.Config.Vision!, device, _model.parameters().First().dtype);
        var hidden = _model.Hidden(input, positions, null, batch.Cache, images);
        var last = tensor(lengths.Select(l => l - 1).ToArray(), device: device).view(n, 1, 1).expand(n, 1, hidden.shape[2]);
        var logits = _model.Logits(hidden.gather(1, last).squeeze(1));
        batch.Logits.index_copy_(0, slots, logits.to_type(batch.Logits.dtype));
        batch.Pos.index_copy_(0, slots, tensor(lengths, device: device));
        for (int r = 0; r < n; r++) batch.HostPos[group[r].Slot] = group[r].Sequence.Length;
    }

    private (int[] Tokens, float[] LogProbs) SampleOnHost(DecodeBatch batch, DecodeSampler sampler)
    {
        if (batch.Cached) batch.Samplers[(sampler.Greedy, sampler.TopP)].Graph.Replay();
        else SampleStep(batch, sampler);
        // The one copy to the host per step: [2, B] float32 (ids are exact in float32 below 2^24).
        using var host = batch.Out.cpu();
        var data = host.data<float>();
        int b = batch.Rows;
        var tokens = new int[b];
        var logProbs = new float[b];
        for (int i = 0; i < b; i++) { tokens[i] = (int)data[i]; logProbs[i] = data[b + i]; }
        return (tokens, logProbs);
    }

    private void Forward(DecodeBatch batch)
    {
        // A step attends to the positions filled so far, rounded up: little more work than the exact length, and a
        // handful of shapes instead of one per step (eager: each new shape pays its kernel selection once on CUDA;
        // graphs: one captured graph per length).
        int filled = batch.HostPos.Max() + 1;
        if (batch.Cached) batch.Forwards[AttendLength(filled, batch.Capacity, GraphAttendStep)].Replay();
        else ForwardStep(batch, AttendLength(filled, batch.Capacity, AttendStep));
        for (int i = 0; i < batch.Rows; i++) batch.HostPos[i] = Math.Min(batch.HostPos[i] + 1, batch.Capacity - 1);
    }

    /// <summary>
    /// One token per row: written to the cache at the row's position, attending to the first <paramref name="attend"/>
    /// positions masked to the row's own (≤ its position); logits into the batch; positions advance. No host copies, so
    /// it can be captured.
    /// </summary>
    private void ForwardStep(DecodeBatch batch, int attend)
    {
        using var scope = NewDisposeScope();
        batch.Cache.ForDecode(batch.Pos, attend);
        var mask = batch.Arange.narrow(0, 0, attend).view(1, 1, 1, attend).le(batch.Pos.view(-1, 1, 1, 1));
        var hidden = _model.Hidden(batch.Ids, batch.Pos.view(-1, 1), mask, batch.Cache);
        batch.Logits.copy_(_model.Logits(hidden.squeeze(1)));
        batch.Pos.add_(batch.One).clamp_max_(batch.LastPosition);
    }

    /// <summary>Samples every row; the tokens become the next step's input, and tokens and log-probs go to the host buffer.</summary>
    private static void SampleStep(DecodeBatch batch, DecodeSampler sampler) => sampler.SampleInto(batch.Logits, batch.Ids, batch.Out);

    private void ReleaseGraphs()
    {
        foreach (var b in _graphBatches.Values) b.Dispose();
        _graphBatches.Clear();
        _graphCapacity = 0;
    }

    public void Dispose()
    {
        ReleaseGraphs();
        _rng?.Dispose();
    }

    /// <summary>The static tensors of one batch (and, for a graph bucket, its captured steps).</summary>
    private sealed class DecodeBatch : IDisposable
    {
        public DecodeBatch(LlamaForCausalLM model, int rows, int capacity, bool cached)
        {
            var p = model.parameters().First();
            var device = p.device;
            Rows = rows;
            Capacity = capacity;
            Cached = cached;
            Cache = new KvCache(model.Config, rows, capacity, device, p.dtype);
            Ids = zeros([rows, 1], dtype: ScalarType.Int64, device: device);
            Pos = zeros([rows], dtype: ScalarType.Int64, device: device);
            Logits = zeros([rows, model.Config.VocabSize], dtype: p.dtype, device: device);
            Out = zeros([2, rows], dtype: ScalarType.Float32, device: device);
            Arange = arange(capacity, dtype: ScalarType.Int64, device: device);
            Temperature = ones([1], dtype: ScalarType.Float32, device: device);
            HostPos = new int[rows];
            LastPosition = ((long)(capacity - 1)).ToScalar();
        }

        public int Rows { get; }
        public int Capacity { get; }
        /// <summary>A graph bucket kept by the engine (not disposed after a call).</summary>
        public bool Cached { get; }
        public KvCache Cache { get; }
        public Tensor Ids { get; }
        public Tensor Pos { get; }
        public Tensor Logits { get; }
        public Tensor Out { get; }
        public Tensor Arange { get; }
        public Tensor Temperature { get; }
        /// <summary>The host's copy of <see cref="Pos"/>.</summary>
        public int[] HostPos { get; }
        public Scalar One { get; } = 1L.ToScalar();
        public Scalar LastPosition { get; }
        /// <summary>A graph bucket's captured forward steps, by attended length.</summary>
        public Dictionary<int, CudaGraph> Forwards { get; } = [];
        public Dictionary<(bool Greedy, double TopP), (DecodeSampler Sampler, CudaGraph Graph)> Samplers { get; } = [];

        public void Dispose()
        {
            foreach (var g in Forwards.Values) g.Dispose();
            foreach (var (s, g) in Samplers.Values) { g.Dispose(); s.Dispose(); }
            Cache.Dispose();
            Ids.Dispose(); Pos.Dispose(); Logits.Dispose(); Out.Dispose(); Arange.Dispose(); Temperature.Dispose();
            One.Dispose(); LastPosition.Dispose();
        }
    }
}
