using System.Text.Json;
using Kimi.Actors.Tasks;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// A prompt as it travels between nodes: <see cref="PromptRecord"/> with its free-form extra fields as JSON text,
/// so messages hold only plain data types, and its images as references (source and hash), never pixels.
/// </summary>
public sealed record PromptSpec(string Id, string Prompt, string Answer, string Domain, int Difficulty, string[] Tags, string? ExtraJson,
    PromptImage[]? Images = null)
{
    public static PromptSpec From(PromptRecord p) => new(p.Id, p.Prompt, p.Answer, p.Domain, p.Difficulty, [.. p.Tags],
        p.Extra is { Count: > 0 } extra ? JsonSerializer.Serialize(extra) : null, p.HasImages ? [.. p.Images] : null);

    public PromptRecord ToRecord() => new(Id, Prompt, Answer, Domain, Difficulty, Tags,
        ExtraJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ExtraJson)) { Images = Images ?? [] };
}
