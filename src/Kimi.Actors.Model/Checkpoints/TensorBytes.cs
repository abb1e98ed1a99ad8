using TorchSharp;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// Bulk access to a tensor's raw bytes. TorchSharp's <c>Tensor.bytes</c> is a <see cref="Span{T}"/> over the
/// tensor's own native memory (no copy) for a contiguous CPU tensor, but a span holds at most 2^31-1 bytes,
/// so larger tensors are visited as consecutive slices of a flat view.
/// </summary>
internal static class TensorBytes
{
    public delegate bool ChunkVisitor(Span<byte> chunk);

    public const long DefaultMaxChunkBytes = 1L << 30;

    /// <summary>Calls <paramref name="visit"/> on the bytes of a contiguous CPU tensor in order; stops when it returns false.</summary>
    public static bool Visit(torch.Tensor tensor, ChunkVisitor visit, long maxChunkBytes = DefaultMaxChunkBytes)
    {
        long elements = tensor.NumberOfElements, elementSize = tensor.ElementSize;
        if (elements == 0) return true;
        if (elements * elementSize <= maxChunkBytes) return visit(tensor.bytes);

        using var flat = tensor.view(-1);
        long perChunk = Math.Max(1, maxChunkBytes / elementSize);
        for (long start = 0; start < elements; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, elements - start));
            if (!visit(part.bytes)) return false;
        }
        return true;
    }

    public static void Write(Stream stream, torch.Tensor tensor, long maxChunkBytes = DefaultMaxChunkBytes) =>
        Visit(tensor, chunk => { stream.Write(chunk); return true; }, maxChunkBytes);

    /// <summary>Fills a contiguous CPU tensor from the stream; false when the stream ends first.</summary>
    public static bool Read(Stream stream, torch.Tensor tensor, long maxChunkBytes = DefaultMaxChunkBytes) =>
        Visit(tensor, chunk => stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false) == chunk.Length, maxChunkBytes);
}
