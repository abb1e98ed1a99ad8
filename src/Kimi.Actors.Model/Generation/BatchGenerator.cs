using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// Batched autoregressive decoding over a static KV cache (<see cref="DecodeEngine"/>): requests are prefilled in groups
/// of similar length (a resumed partial rollout, long with its earlier tokens, is not padded into a batch of fresh
/// prompts), then every row gains one token per step, sampled on the device. Rows that finish are refilled from the
/// waiting requests (continuous batching); once none wait, the batch shrinks as rows finish, so a few long responses do
/// not make every step pay for the whole batch. On CUDA, with the native shim (<see cref="CudaGraphs"/>), each step is a
/// replayed CUDA graph per batch-size bucket.
/// </summary>
public static class BatchGenerator
{
    public static GenerationBatchResult Generate(LlamaForCausalLM model, IReadOnlyList<GenerationRequest> requests, GenerationOptions options)
    {
        options.Validate();
        var sw = Stopwatch.StartNew();
        var results = new GenerationResult?[requests.Count];
        var stopTokens = options.StopTokens.Count > 0 ? options.StopTokens.ToHashSet() : [model.Config.EosTokenId];
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

        long produced = 0;
        string decoding = DecodeEngine.Describe(model, options);
        if (pending.Count > 0)
        {
            using var noGrad = no_grad();
            (produced, decoding) = DecodeEngine.Of(model).Run(requests, pending, options, stopTokens, results);
        }
        return new GenerationBatchResult(results.Select(r => r!).ToArray(), produced, sw.Elapsed) { Decoding = decoding };
    }
}
