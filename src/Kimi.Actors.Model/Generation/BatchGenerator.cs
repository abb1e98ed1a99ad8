using System.Diagnostics;
using TorchSharp;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// Batched autoregressive decoding with a KV cache: rows are left-padded to a common length, prefilled
/// in one pass, then extended one token per step. Finished rows are dropped from the batch as they
/// accumulate, so a few long responses do not make every step pay for the whole batch.
/// </summary>
public static class BatchGenerator
{
    public static GenerationBatchResult Generate(LlamaForCausalLM model, IReadOnlyList<GenerationRequest> requests, GenerationOptions options)
    {
        options.Validate();
        var sw = Stopwatch.StartNew();
        var results = new GenerationResult?[requests.Count];
        // Explicit Scalars, disposed at the end: implicit conversions can be finalised mid-call (see RmsNorm).
        using var scalars = new StepScalars(options);
        var stopTokens = options.StopTokens.Count > 0 ? options.StopTokens.ToHashSet() : [model.Config.EosTokenId];
        long budgetLeft = options.TokenBudget ?? long.MaxValue;
        long produced = 0;
        var device = model.parameters().First().device;
        // Sampling draws on the CPU (TorchSharp 0.107 cannot make a CUDA generator): the per-step probabilities are
        // small ([rows, vocab]) and the tokens come back to the host every step anyway; the same seed then gives the
        // same tokens on every device.
        using var gen = new TorchSharp.torch.Generator((ulong)options.Seed, CPU);
        using var noGrad = no_grad();

        var pending = new List<int>();
        for (int i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            int limit = r.ResponseLimit(options);
            int total = r.Prompt.Length + r.PrefixLength + Math.Max(0, limit - r.PrefixLength);
            if (r.Prompt.Length == 0) throw new ArgumentException($"request {i}: empty prompt");
            if (r.MaxResponseTokens is <= 0) throw new ArgumentException($"request {i}: max response tokens must be positive, got {r.MaxResponseTokens}");
            if (total > model.Config.MaxPositionEmbeddings)
                throw new ArgumentException($"request {i}: prompt ({r.Prompt.Length}) + max response ({options.MaxResponseTokens}) tokens exceed max_position_embeddings ({model.Config.MaxPositionEmbeddings})");
            if (ImagePlaceholders.Check(model.Config, [.. r.Prompt, .. r.Prefix ?? []], r.ImageCount) is { } imageProblem)
                throw new ArgumentException($"request {i}: {imageProblem}");
            if (r.PrefixLength >= limit) results[i] = new GenerationResult([], [], StopReason.MaxLength);
            else pending.Add(i);
        }

        foreach (var chunk in pending.Chunk(options.MaxBatchSize))
            produced += GenerateChunk(model, requests, chunk, options, stopTokens, gen, device, results, scalars, ref budgetLeft);

        return new GenerationBatchResult(results.Select(r => r!).ToArray(), produced, sw.Elapsed);
    }

    private sealed class Row(int request, int maxNew, int[] prior)
    {
        public readonly int Request = request;
        public readonly int MaxNew = maxNew;
        public readonly List<int> Tokens = [];
        public readonly List<float> LogProbs = [];
        public readonly List<int> Response = [.. prior];
        public StopReason? Stop;
    }

    private static long GenerateChunk(LlamaForCausalLM model, IReadOnlyList<GenerationRequest> requests, int[] chunk,
        GenerationOptions options, HashSet<int> stopTokens, TorchSharp.torch.Generator gen, Device device, GenerationResult?[] results,
        StepScalars scalars, ref long budgetLeft)
    {
        int b = chunk.Length;
        var rows = chunk.Select(i => new Row(i, requests[i].ResponseLimit(options) - requests[i].PrefixLength, requests[i].Prefix ?? [])).ToArray();
        var seqs = chunk.Select(i => requests[i].Prompt.Concat(requests[i].Prefix ?? []).ToArray()).ToArray();
        int width = seqs.Max(s => s.Length);
        int maxNew = rows.Max(r => r.MaxNew);
        int pad = model.Config.PaddingId;

        var ids = new long[b * width];
        var valid = new bool[b * width];
        for (int r = 0; r < b; r++)
        {
            int off = width - seqs[r].Length;
            for (int j = 0; j < width; j++)
            {
                bool real = j >= off;
                ids[r * width + j] = real ? seqs[r][j - off] : pad;
                valid[r * width + j] = real;
            }
        }

        var dtype = model.parameters().First().dtype;
        using var cache = new KvCache(model.Config, b, width + maxNew, device, dtype);
        // The images only enter the prefill: later steps attend to their patches through the cache.
        var chunkImages = chunk.SelectMany(i => requests[i].Images ?? []).ToList();
        using var images = chunkImages.Count == 0 ? null : ImageBatch.From(chunkImages, model.Config.Vision!, device, dtype);
        Tensor logits, keyValid, nextPos;
        using (var scope = NewDisposeScope())
        {
            var input = tensor(ids, [b, width], device: device);
            keyValid = tensor(valid, [b, width], device: device);
            var positions = keyValid.to_type(ScalarType.Int64).cumsum(1).sub(scalars.One).clamp_min(scalars.Zero);
            logits = model.Forward(input, positions, AttentionMasks.Causal(keyValid), cache, images).select(1, -1);
            nextPos = positions.select(1, -1).add(scalars.One);
            logits.MoveToOuterDisposeScope(); keyValid.MoveToOuterDisposeScope(); nextPos.MoveToOuterDisposeScope();
            cache.Detach();
        }

        var live = rows.ToList(); // rows currently in the batch tensors, in tensor order
        long produced = 0;
        while (true)
        {
            int activeCount = live.Count(r => r.Stop is null);
            if (activeCount == 0) break;
            if (budgetLeft < activeCount)
            {
                foreach (var r in live.Where(r => r.Stop is null)) r.Stop = StopReason.Budget;
                break;
            }

            long[] next;
            float[] logp;
            using (var scope = NewDisposeScope())
            {
                var (tok, lp) = Sample(logits, options, gen, scalars);
                next = tok.cpu().data<long>().ToArray();
                logp = lp.cpu().data<float>().ToArray();
            }

            for (int i = 0; i < live.Count; i++)
            {
                var row = live[i];
                if (row.Stop is not null) continue;
                int t = (int)next[i];
                row.Tokens.Add(t); row.LogProbs.Add(logp[i]); row.Response.Add(t);
                produced++; budgetLeft--;
                if (stopTokens.Contains(t)) row.Stop = StopReason.Stop;
                else if (row.Tokens.Count >= row.MaxNew) row.Stop = StopReason.MaxLength;
                else if (options.RepeatDetector?.IsRepeating(row.Response) == true) row.Stop = StopReason.Repeat;
            }
            if (live.All(r => r.Stop is not null)) break;

            using (var scope = NewDisposeScope())
            {
                var feed = next.Select((t, i) => live[i].Stop is null ? t : pad).ToArray();
                var input = tensor(feed, [live.Count, 1], device: device);
                var newValid = cat([keyValid, ones([live.Count, 1], dtype: ScalarType.Bool, device: device)], 1);
                var positions = nextPos.unsqueeze(1);

                int stillActive = live.Count(r => r.Stop is null);
                if (stillActive <= live.Count * 3 / 4)
                {
                    // Drop finished rows: later steps then cost only what is still being generated.
                    var keep = Enumerable.Range(0, live.Count).Where(i => live[i].Stop is null).Select(i => (long)i).ToArray();
                    var keepIdx = tensor(keep, device: device);
                    cache.Keep(keepIdx);
                    input = input.index_select(0, keepIdx);
                    newValid = newValid.index_select(0, keepIdx);
                    positions = positions.index_select(0, keepIdx);
                    live = keep.Select(i => live[(int)i]).ToList();
                }

                var newLogits = model.Forward(input, positions, AttentionMasks.Step(newValid), cache).select(1, -1);
                logits.Dispose(); keyValid.Dispose(); nextPos.Dispose();
                logits = newLogits.MoveToOuterDisposeScope();
                keyValid = newValid.MoveToOuterDisposeScope();
                nextPos = positions.squeeze(1).add(scalars.One).MoveToOuterDisposeScope();
                cache.Detach();
            }
        }
        logits.Dispose(); keyValid.Dispose(); nextPos.Dispose();

        foreach (var row in rows)
            results[row.Request] = new GenerationResult(row.Tokens.ToArray(), row.LogProbs.ToArray(), row.Stop ?? StopReason.Budget);
        return produced;
    }

    /// <summary>Picks the next token per row and its log-probability under the untempered policy.</summary>
    private static (Tensor Tokens, Tensor LogProbs) Sample(Tensor logits, GenerationOptions options, TorchSharp.torch.Generator gen, StepScalars scalars)
    {
        var logits32 = logits.to_type(ScalarType.Float32);
        Tensor tok;
        if (options.Temperature == 0)
        {
            tok = logits32.argmax(-1);
        }
        else
        {
            var probs = nn.functional.softmax(logits32.div(scalars.Temperature), -1).cpu();
            if (options.TopP < 1.0)
            {
                var (sorted, order) = probs.sort(-1, descending: true);
                // Keep a token if the mass before it is still below top_p (so the top token always stays).
                var before = sorted.cumsum(-1) - sorted;
                sorted = sorted.masked_fill(before.gt(scalars.TopP), scalars.ZeroF);
                var pick = sorted.multinomial(1, generator: gen);
                tok = order.gather(-1, pick).squeeze(-1);
            }
            else
            {
                tok = probs.multinomial(1, generator: gen).squeeze(-1);
            }
        }
        tok = tok.to(logits32.device);
        var lp = nn.functional.log_softmax(logits32, -1).gather(-1, tok.unsqueeze(-1)).squeeze(-1);
        return (tok, lp);
    }

    private sealed class StepScalars(GenerationOptions options) : IDisposable
    {
        public readonly TorchSharp.Scalar One = 1L.ToScalar(), Zero = 0L.ToScalar(), ZeroF = 0.0.ToScalar();
        public readonly TorchSharp.Scalar Temperature = Math.Max(options.Temperature, 1e-6).ToScalar(), TopP = options.TopP.ToScalar();

        public void Dispose()
        {
            One.Dispose(); Zero.Dispose(); ZeroF.Dispose(); Temperature.Dispose(); TopP.Dispose();
        }
    }
}
