using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// Prompt/response pairs packed end to end into rows of a fixed length. Each document keeps its own
/// positions (restarting at 0) and attends only within itself; only response tokens are predicted. An image prompt's
/// pixels travel with its document, in packed order, and replace its placeholders.
/// </summary>
public sealed class PackedBatch
{
    public const long IgnoreIndex = -100;

    public required long[] Ids { get; init; }
    public required long[] SegmentIds { get; init; }
    public required long[] Targets { get; init; }
    public required int[][] SegmentLengths { get; init; }
    public required int Rows { get; init; }
    public required int Length { get; init; }
    /// <summary>The images of the packed documents in the order their placeholders appear (row by row, left to right).</summary>
    public IReadOnlyList<ImagePixels> Images { get; init; } = [];
    public int Documents => SegmentLengths.Sum(r => r.Length);
    public long TargetTokens => Targets.LongCount(t => t != IgnoreIndex);

    /// <summary>First-fit-decreasing packing; a document longer than a row is an error, not a silent cut.</summary>
    /// <param name="images">Per document, its prompt's image pixels (null for a text prompt); null when no document has any.</param>
    public static PackedBatch Pack(IReadOnlyList<(int[] Prompt, int[] Response)> docs, int rowLength, int padId,
        IReadOnlyList<IReadOnlyList<ImagePixels>?>? images = null)
    {
        if (images is not null && images.Count != docs.Count) throw new ArgumentException($"{images.Count} image lists for {docs.Count} documents");
        var rows = new List<List<int>>();
        var fill = new List<int>();
        foreach (int d in Enumerable.Range(0, docs.Count).OrderByDescending(i => docs[i].Prompt.Length + docs[i].Response.Length))
        {
            int len = docs[d].Prompt.Length + docs[d].Response.Length;
            if (len > rowLength) throw new ArgumentException($"demonstration of {len} tokens does not fit a packed row of {rowLength}");
            int row = fill.FindIndex(f => f + len <= rowLength);
            if (row < 0) { rows.Add([]); fill.Add(0); row = rows.Count - 1; }
            rows[row].Add(d);
            fill[row] += len;
        }

        int n = rows.Count;
        var ids = Enumerable.Repeat((long)padId, n * rowLength).ToArray();
        var seg = new long[n * rowLength];
        var targets = Enumerable.Repeat(IgnoreIndex, n * rowLength).ToArray();
        var lengths = new int[n][];
        var packedImages = new List<ImagePixels>();
        for (int r = 0; r < n; r++)
        {
            int col = 0;
            lengths[r] = new int[rows[r].Count];
            for (int s = 0; s < rows[r].Count; s++)
            {
                var (prompt, response) = docs[rows[r][s]];
                if (images?[rows[r][s]] is { } own) packedImages.AddRange(own);
                int start = r * rowLength + col;
                int[] all = [.. prompt, .. response];
                for (int i = 0; i < all.Length; i++)
                {
                    ids[start + i] = all[i];
                    seg[start + i] = s + 1;
                    // Position i predicts token i+1 when that token belongs to this document's response.
                    if (i + 1 < all.Length && i + 1 >= prompt.Length) targets[start + i] = all[i + 1];
                }
                lengths[r][s] = all.Length;
                col += all.Length;
            }
        }
        return new PackedBatch
        {
            Ids = ids, SegmentIds = seg, Targets = targets, SegmentLengths = lengths, Rows = n, Length = rowLength, Images = packedImages,
        };
    }

    /// <summary>Mean cross-entropy over response tokens.</summary>
    public Tensor Loss(LlamaForCausalLM model)
    {
        var device = model.parameters().First().device;
        using var scope = NewDisposeScope();
        var input = tensor(Ids, [Rows, Length], device: device);
        var segments = tensor(SegmentIds, [Rows, Length], device: device);
        var positions = AttentionMasks.PackedPositions(SegmentLengths, Length, device);
        using var images = Images.Count == 0 ? null : ImageBatch.From(Images, model.Config.Vision
            ?? throw new ArgumentException("image demonstrations for a policy without a vision encoder"), device, model.parameters().First().dtype);
        var logits = model.Forward(input, positions, AttentionMasks.Packed(segments), images: images);
        var targets = tensor(Targets, [Rows * Length], device: device);
        var loss = nn.functional.cross_entropy(logits.view(Rows * Length, -1).to_type(ScalarType.Float32), targets, ignore_index: IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }
}
