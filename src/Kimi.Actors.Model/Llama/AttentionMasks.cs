using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Boolean attention masks, true where a query may attend to a key. Every query may always attend to
/// itself: a padding row with no allowed key would make attention produce NaN, which then leaks into
/// later layers through 0 * NaN even where masked.
/// </summary>
public static class AttentionMasks
{
    /// <summary>Causal mask over a padded batch: <paramref name="keyValid"/> [B, S] marks real tokens.</summary>
    public static Tensor Causal(Tensor keyValid)
    {
        long s = keyValid.shape[1];
        var causal = ones([s, s], dtype: ScalarType.Bool, device: keyValid.device).tril();
        var diag = eye(s, dtype: ScalarType.Bool, device: keyValid.device);
        return (causal.unsqueeze(0) & keyValid.unsqueeze(1)).logical_or(diag.unsqueeze(0)).unsqueeze(1);
    }

    /// <summary>
    /// Block-diagonal causal mask for packed sequences: <paramref name="segmentIds"/> [B, T], 0 for padding,
    /// 1, 2, ... for the documents packed into the row; a token sees only earlier tokens of its own document.
    /// </summary>
    public static Tensor Packed(Tensor segmentIds)
    {
        long t = segmentIds.shape[1];
        using var padding = 0L.ToScalar();
        var same = segmentIds.unsqueeze(2).eq(segmentIds.unsqueeze(1)) & segmentIds.ne(padding).unsqueeze(2);
        var causal = ones([t, t], dtype: ScalarType.Bool, device: segmentIds.device).tril().unsqueeze(0);
        var diag = eye(t, dtype: ScalarType.Bool, device: segmentIds.device).unsqueeze(0);
        return (same & causal).logical_or(diag).unsqueeze(1);
    }

    /// <summary>Positions restarting at 0 at each new document in a packed row [B, T].</summary>
    public static Tensor PackedPositions(int[][] segmentLengthsPerRow, int rowLength, Device device)
    {
        var pos = new long[segmentLengthsPerRow.Length * rowLength];
        for (int r = 0; r < segmentLengthsPerRow.Length; r++)
        {
            int col = 0;
            foreach (int len in segmentLengthsPerRow[r])
                for (int i = 0; i < len && col < rowLength; i++) pos[r * rowLength + col++] = i;
        }
        return tensor(pos, [segmentLengthsPerRow.Length, rowLength], device: device);
    }
}
