using System.Globalization;

namespace Kimi.Actors.CommandLine;

/// <summary>
/// The rule for ids given on the command line (a run id for <c>--resume</c>, a worker id): <c>^[A-Za-z0-9][A-Za-z0-9._-]*$</c>,
/// at most <see cref="MaxRunIdLength"/> characters for a run id. Such an id becomes a sharded entity id (joined to others
/// with <see cref="Kimi.Actors.Cluster.Protocol.EntityIds.Separator"/>), part of actor names and persistence ids, and a
/// folder name (<c>runs/ID</c>, <c>checkpoints/ID</c>, <c>/dev/shm/kimi/ID</c>), so it holds only characters all of those
/// take: no separator, no '/', no whitespace or control characters, and it cannot be "." or "..". An id the rule
/// refuses is refused before anything starts; the Run region would drop an empty one and the caller would wait forever.
/// </summary>
public static class CommandLineIds
{
    public const int MaxRunIdLength = 128;

    /// <summary>A worker id is a run id with a role and slot after it (<c>RUN-rollout-3</c>, <c>RUN-trainer</c>).</summary>
    public const int MaxWorkerIdLength = MaxRunIdLength + 32;

    /// <summary>What the rule allows, for help and error text.</summary>
    public const string Allowed = "letters A-Z a-z, digits, '.', '_' and '-', starting with a letter or digit";

    /// <summary>Why <paramref name="id"/> is not a valid id of at most <paramref name="maxLength"/> characters, or null if it is.</summary>
    public static string? Problem(string id, int maxLength)
    {
        if (id.Length == 0) return "an id cannot be empty";
        if (id.Length > maxLength) return $"an id has at most {maxLength} characters, this one has {id.Length}";
        if (!char.IsAsciiLetterOrDigit(id[0])) return $"an id starts with a letter or digit, not {Describe(id[0])}";
        for (int i = 1; i < id.Length; i++)
            if (!char.IsAsciiLetterOrDigit(id[i]) && id[i] is not ('.' or '_' or '-'))
                return $"{Describe(id[i])} at position {i + 1} is not allowed (allowed: {Allowed})";
        return null;
    }

    /// <summary>The id of a new run: <c>run-YYYYMMDD-HHMMSS-xxxx</c> (UTC, four random hex digits); it satisfies the rule.</summary>
    public static string NewRunId(DateTime utcNow, Random random) =>
        string.Create(CultureInfo.InvariantCulture, $"run-{utcNow:yyyyMMdd-HHmmss}-{random.Next(0x10000):x4}");

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
}
