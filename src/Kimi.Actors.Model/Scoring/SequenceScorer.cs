using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Scoring;

/// <summary>
/// Log-probabilities of given responses under a policy, for training: prompt tokens and padding are masked out, and the
/// vocabulary projection runs only at response positions (the hidden states there are gathered first), so [B, T, vocab]
/// never exists and [B, response, vocab] exists once in float32, or (CUDA with the head kernels, <see cref="TokenLogProbs"/>)
/// only in the model's dtype. Differentiable unless the caller runs it under no_grad
/// (as for the reference policy).
/// </summary>
public static class SequenceScorer
{
    /// <param name="images">Per item, the pixels of its prompt's images (null or empty for a text prompt); null for none at all.</param>
    public static ScoredTokens Score(LlamaForCausalLM model, IReadOnlyList<(int[] Prompt, int[] Response)> items,
        IReadOnlyList<IReadOnlyList<ImagePixels>?>? images = null)
    {
        if (items.Count == 0) throw new ArgumentException("nothing to score");
        if (images is not null && images.Count != items.Count) throw new ArgumentException($"{images.Count} image lists for {items.Count} items");
        var device = model.parameters().First().device;
        int b = items.Count;
        int width = items.Max(i => i.Prompt.Length + i.Response.Length);
        int respWidth = Math.Max(1, items.Max(i => i.Response.Length));
        if (width > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"sequence of {width} tokens exceeds max_position_embeddings ({model.Config.MaxPositionEmbeddings})");

        int pad = model.Config.PaddingId;
        var ids = new long[b * width];
        var gatherPos = new long[b * respWidth];
        var targets = new long[b * respWidth];
        var mask = new float[b * respWidth];
        for (int r = 0; r < b; r++)
        {
            var (prompt, response) = items[r];
            if (prompt.Length == 0) throw new ArgumentException($"item {r}: empty prompt");
            if (ImagePlaceholders.Check(model.Config, [.. prompt, .. response], images?[r]?.Count ?? 0) is { } imageProblem)
                throw new ArgumentException($"item {r}: {imageProblem}");
            for (int j = 0; j < width; j++)
                ids[r * width + j] = j < prompt.Length ? prompt[j] : j < prompt.Length + response.Length ? response[j - prompt.Length] : pad;
            for (int k = 0; k < respWidth; k++)
            {
                bool real = k < response.Length;
                // Response token k is predicted by the hidden state at position prompt.Length + k - 1.
                gatherPos[r * respWidth + k] = real ? prompt.Length + k - 1 : 0;
                targets[r * respWidth + k] = real ? response[k] : 0;
                mask[r * respWidth + k] = real ? 1f : 0f;
            }
        }

        using var scope = NewDisposeScope();
        var input = tensor(ids, [b, width], device: device);
        var positions = arange(width, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, width);
        var all = images?.SelectMany(i => i ?? []).ToList() ?? [];
        using var imageBatch = all.Count == 0 ? null : ImageBatch.From(all, model.Config.Vision!, device, model.parameters().First().dtype);
        // Right-padded rows under a causal mask: padding comes after every real token, so no real token sees it.
        var hidden = model.Hidden(input, positions, null, images: imageBatch);
        var pos = tensor(gatherPos, [b, respWidth], device: device);
        var picked = hidden.gather(1, pos.unsqueeze(-1).expand(b, respWidth, hidden.shape[2]));
        var logits = model.Logits(picked);
        var target = tensor(targets, [b * respWidth], device: device);
        var logp = TokenLogProbs.Of(logits.view(b * respWidth, -1), target).view(b, respWidth);
        var m = tensor(mask, [b, respWidth], device: device);
        return new ScoredTokens((logp * m).MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope());
    }
}
