using System.Globalization;
using System.Security.Cryptography;

namespace Kimi.Actors.Tasks.Images;

/// <summary>
/// A reference to one image of a prompt, never its pixels: where its encoded bytes (PNG or JPEG) can be read again, and
/// their SHA-256, recorded when the prompt set was loaded or built. Rollout requests, training groups and held-out
/// prompts carry these between nodes; each worker reads the bytes back (<see cref="ImageSources"/>), checks the hash, and
/// decodes them once into its cache. <see cref="Source"/> is one of:
/// <list type="bullet">
/// <item><c>file:&lt;absolute path&gt;</c> — a file (prompt sets name it relative to themselves);</item>
/// <item><c>inline:&lt;line&gt;:&lt;index&gt;:&lt;absolute path of the prompt set&gt;</c> — a base64 data URI in that line's
/// <c>images</c> array;</item>
/// <item><c>render:&lt;renderer&gt;:&lt;scene&gt;</c> — drawn by a built-in task family from a scene description
/// (<see cref="ImageRenderers"/>).</item>
/// </list>
/// </summary>
public sealed record PromptImage(string Source, string Sha256)
{
    public const string FileScheme = "file:", InlineScheme = "inline:", RenderScheme = "render:";

    public static PromptImage OfFile(string absolutePath, ReadOnlySpan<byte> bytes) => new(FileScheme + absolutePath, Hash(bytes));

    public static PromptImage OfInline(string promptSetPath, int line, int index, ReadOnlySpan<byte> bytes) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{InlineScheme}{line}:{index}:{promptSetPath}"), Hash(bytes));

    public static PromptImage OfRender(string renderer, string scene, ReadOnlySpan<byte> bytes) => new($"{RenderScheme}{renderer}:{scene}", Hash(bytes));

    /// <summary>Lower-case hex SHA-256 of the encoded image.</summary>
    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A short description for messages: the file name, the inline position, or the renderer.</summary>
    public override string ToString() => Source.Length <= 96 ? Source : Source[..93] + "...";
}

/// <summary>An image that cannot be read, does not match its hash, or does not decode; the message names the image.</summary>
public sealed class PromptImageException(string message, Exception? inner = null) : Exception(message, inner);
