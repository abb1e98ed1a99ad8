using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Kimi.Actors.Rl.Identity;

/// <summary>
/// A training run's id. It names the Run entity, its journal, its checkpoint folder and its run folder, so it is
/// restricted to characters every one of those can hold: a letter or digit, then up to 127 letters, digits, '.', '_'
/// or '-' (generated ids look like <c>run-20261201-093000-1a2b</c>).
/// </summary>
public readonly partial record struct RunId
{
    public const string Rule = "a letter or digit, then up to 127 letters, digits, '.', '_' or '-'";

    public string Value { get; }

    private RunId(string value) => Value = value;

    /// <exception cref="ArgumentException">The text is not a valid run id (the message says why).</exception>
    public static RunId Parse(string? text) =>
        TryParse(text, out var id, out var problem) ? id : throw new ArgumentException(problem);

    public static bool TryParse(string? text, out RunId id, [NotNullWhen(false)] out string? problem)
    {
        id = default;
        if (string.IsNullOrEmpty(text)) { problem = "a run id must not be empty"; return false; }
        if (!Pattern().IsMatch(text)) { problem = $"'{Printable(text)}' is not a run id ({Rule})"; return false; }
        id = new RunId(text);
        problem = null;
        return true;
    }

    /// <summary>A new id from the start time and 16 random bits.</summary>
    public static RunId New(DateTime utcNow, Random random) => new($"run-{utcNow:yyyyMMdd-HHmmss}-{random.Next(0x10000):x4}");

    public override string ToString() => Value ?? "";

    private static string Printable(string text) =>
        new(text.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
