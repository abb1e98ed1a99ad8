using System.Collections.Concurrent;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Rl.Vision;

/// <summary>
/// Turns image references into encoder pixels, once per image and size in a process: the bytes are read from the
/// reference's source and checked against its hash (<see cref="ImageSources.ReadVerified"/>), then decoded and fitted
/// through SkiaSharp (<see cref="ImageCodec.Fit"/>). Generators and trainers call it with the references their requests
/// carry; the same prompt's image, sampled k times and trained again, is decoded once. Bounded: past
/// <see cref="Capacity"/> images the oldest are dropped.
/// </summary>
public sealed class PromptImageCache(int capacity = 16384)
{
    public static PromptImageCache Shared { get; } = new();

    private readonly ConcurrentDictionary<(string Sha256, int Size), ImagePixels> _pixels = new();
    private readonly ConcurrentQueue<(string, int)> _order = new();

    public int Capacity => capacity;
    public int Count => _pixels.Count;

    /// <exception cref="PromptImageException">An image that cannot be read, no longer matches its hash, or does not decode.</exception>
    public ImagePixels Pixels(PromptImage image, int size)
    {
        var key = (image.Sha256, size);
        if (_pixels.TryGetValue(key, out var cached)) return cached;
        var fitted = ImageCodec.Fit(ImageSources.ReadVerified(image), size);
        var pixels = new ImagePixels(fitted.Size, fitted.Rgb, fitted.ContentWidth, fitted.ContentHeight);
        if (_pixels.TryAdd(key, pixels))
        {
            _order.Enqueue(key);
            while (_pixels.Count > capacity && _order.TryDequeue(out var old)) _pixels.TryRemove(old, out _);
        }
        return pixels;
    }

    /// <summary>The pixels of a prompt's images for an encoder of <paramref name="size"/>; null for none.</summary>
    public IReadOnlyList<ImagePixels>? Pixels(IReadOnlyList<PromptImage>? images, int? size)
    {
        if (images is not { Count: > 0 }) return null;
        if (size is not { } s) throw new ArgumentException($"{images.Count} image(s) for a policy without a vision encoder (its config has no vision_config)");
        return images.Select(i => Pixels(i, s)).ToArray();
    }
}
