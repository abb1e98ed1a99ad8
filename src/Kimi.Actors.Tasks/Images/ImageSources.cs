using System.Globalization;
using System.Text.Json;

namespace Kimi.Actors.Tasks.Images;

/// <summary>
/// Built-in renderers by name: a task family draws its image from a scene description (deterministically: the same
/// scene gives the same PNG bytes with the same SkiaSharp and fonts, which the hash in every reference checks).
/// </summary>
public static class ImageRenderers
{
    private static readonly Dictionary<string, Func<string, byte[]>> Registry = new(StringComparer.Ordinal)
    {
        [ShapeCountTask.RendererName] = ShapeCountTask.Render,
        [RenderedSumTask.RendererName] = RenderedSumTask.Render,
        [SceneCountTask.RendererName] = SceneCountTask.Render,
    };

    /// <summary>The PNG bytes of <paramref name="scene"/> drawn by <paramref name="renderer"/>.</summary>
    /// <exception cref="PromptImageException">Unknown renderer or a scene it cannot draw.</exception>
    public static byte[] Render(string renderer, string scene)
    {
        if (!Registry.TryGetValue(renderer, out var render))
            throw new PromptImageException($"unknown image renderer '{renderer}' (known: {string.Join(", ", Registry.Keys.Order(StringComparer.Ordinal))})");
        try { return render(scene); }
        catch (ArgumentException e) { throw new PromptImageException($"renderer '{renderer}' cannot draw '{scene}': {e.Message}", e); }
    }

    /// <summary>A reference to a rendered image, hashed as drawn now.</summary>
    public static PromptImage Reference(string renderer, string scene) => PromptImage.OfRender(renderer, scene, Render(renderer, scene));
}

/// <summary>
/// Reads the encoded bytes an image reference points at and checks them against its hash, so a worker never trains on
/// an image other than the one the prompt set was loaded with (a file changed during the run, another font).
/// </summary>
public static class ImageSources
{
    /// <exception cref="PromptImageException">Unreadable source, or bytes whose SHA-256 differs from the reference's.</exception>
    public static byte[] ReadVerified(PromptImage image)
    {
        var bytes = Read(image.Source);
        string hash = PromptImage.Hash(bytes);
        if (hash != image.Sha256)
            throw new PromptImageException($"image {image}: SHA-256 {hash} differs from {image.Sha256} recorded when its prompt set was loaded");
        return bytes;
    }

    private static byte[] Read(string source)
    {
        if (source.StartsWith(PromptImage.FileScheme, StringComparison.Ordinal))
        {
            string path = source[PromptImage.FileScheme.Length..];
            try { return File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PromptImageException($"image {path}: cannot read it: {e.Message}", e);
            }
        }
        if (source.StartsWith(PromptImage.RenderScheme, StringComparison.Ordinal))
        {
            var rest = source[PromptImage.RenderScheme.Length..];
            int colon = rest.IndexOf(':');
            if (colon < 0) throw new PromptImageException($"image {source}: expected render:<renderer>:<scene>");
            return ImageRenderers.Render(rest[..colon], rest[(colon + 1)..]);
        }
        if (source.StartsWith(PromptImage.InlineScheme, StringComparison.Ordinal))
            return ReadInline(source);
        throw new PromptImageException($"image {source}: unknown source (file:, inline: or render:)");
    }

    /// <summary>Line <c>line</c> of the prompt set, its <c>images[index]</c> data URI, decoded.</summary>
    private static byte[] ReadInline(string source)
    {
        var parts = source[PromptImage.InlineScheme.Length..].Split(':', 3);
        if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int line) || line < 1
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int index) || index < 0)
            throw new PromptImageException($"image {source}: expected inline:<line>:<index>:<prompt set path>");
        string path = parts[2];
        try
        {
            string? text = File.ReadLines(path).Skip(line - 1).FirstOrDefault();
            if (text is null) throw new PromptImageException($"image {source}: {path} has fewer than {line} lines");
            using var doc = JsonDocument.Parse(text);
            if (!doc.RootElement.TryGetProperty(PromptSet.ImagesField, out var images) || images.ValueKind != JsonValueKind.Array
                || images.GetArrayLength() <= index || images[index].ValueKind != JsonValueKind.String)
                throw new PromptImageException($"image {source}: {path}:{line} has no images[{index}]");
            return DataUri.Decode(images[index].GetString()!) ?? throw new PromptImageException($"image {source}: not a base64 data URI");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            throw new PromptImageException($"image {source}: cannot read it back: {e.Message}", e);
        }
    }
}

/// <summary><c>data:image/png;base64,...</c> and <c>data:image/jpeg;base64,...</c>.</summary>
public static class DataUri
{
    public const string Prefix = "data:";
    private static readonly string[] Types = ["image/png", "image/jpeg", "image/jpg"];

    public static bool IsDataUri(string value) => value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The decoded bytes, or null when the text is not a base64 PNG/JPEG data URI.</summary>
    /// <exception cref="FormatException">The base64 payload is malformed.</exception>
    public static byte[]? Decode(string value)
    {
        if (!IsDataUri(value)) return null;
        int comma = value.IndexOf(',');
        if (comma < 0) return null;
        var header = value[Prefix.Length..comma].Split(';');
        if (header.Length != 2 || !Types.Contains(header[0].ToLowerInvariant()) || !header[1].Equals("base64", StringComparison.OrdinalIgnoreCase))
            return null;
        return Convert.FromBase64String(value[(comma + 1)..]);
    }

    public static string Encode(ReadOnlySpan<byte> bytes, string format) =>
        $"{Prefix}image/{(format == "JPEG" ? "jpeg" : "png")};base64,{Convert.ToBase64String(bytes)}";
}
