using System.Text.Json;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Tasks;

/// <summary>
/// One prompt with its reference answer, domain (which selects the verifier), difficulty label and tags.
/// Fields a loader does not know travel in <see cref="Extra"/> untouched. <see cref="Images"/> are the prompt's images
/// (references, never pixels), shown to the policy before the text.
/// </summary>
/// <remarks>
/// Equality is by value, also for <see cref="Tags"/> (in order) and <see cref="Extra"/> (JSON deep
/// equality; a null and an empty dictionary are the same). The compiler-generated record equality would
/// compare those two by reference, so a record read back from a prompt-set file would never equal the
/// one written. Images compare by content (their hashes), wherever they are read from: an inline image written to
/// another file is the same image.
/// </remarks>
public sealed record PromptRecord(
    string Id,
    string Prompt,
    string Answer,
    string Domain,
    int Difficulty,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, JsonElement>? Extra = null)
{
    public IReadOnlyList<PromptImage> Images { get; init; } = [];

    public bool HasImages => Images is { Count: > 0 };

    public bool Equals(PromptRecord? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null) return false;
        return Id == other.Id && Prompt == other.Prompt && Answer == other.Answer && Domain == other.Domain
            && Difficulty == other.Difficulty
            && (Tags ?? []).SequenceEqual(other.Tags ?? [], StringComparer.Ordinal)
            && ExtraEquals(Extra, other.Extra)
            && (Images ?? []).Select(i => i.Sha256).SequenceEqual((other.Images ?? []).Select(i => i.Sha256), StringComparer.Ordinal);
    }

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Id);
        hash.Add(Prompt);
        hash.Add(Answer);
        hash.Add(Domain);
        hash.Add(Difficulty);
        foreach (var tag in Tags ?? []) hash.Add(tag);
        foreach (var image in Images ?? []) hash.Add(image.Sha256);
        // Extra is left out: JSON values have no cheap canonical hash, and equal records still hash equal.
        hash.Add(Extra?.Count ?? 0);
        return hash.ToHashCode();
    }

    private static bool ExtraEquals(IReadOnlyDictionary<string, JsonElement>? a, IReadOnlyDictionary<string, JsonElement>? b)
    {
        int countA = a?.Count ?? 0, countB = b?.Count ?? 0;
        if (countA != countB) return false;
        if (countA == 0) return true;
        foreach (var (key, value) in a!)
        {
            if (!b!.TryGetValue(key, out var otherValue)) return false;
            if (value.ValueKind == JsonValueKind.Undefined || otherValue.ValueKind == JsonValueKind.Undefined)
            {
                if (value.ValueKind != otherValue.ValueKind) return false;
                continue;
            }
            if (!JsonElement.DeepEquals(value, otherValue)) return false;
        }
        return true;
    }
}
