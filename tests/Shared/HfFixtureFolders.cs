using System.Text.Json.Nodes;

namespace Kimi.Actors.Tests.Shared;

/// <summary>
/// The Hugging Face parity fixtures (tests/Kimi.Actors.Model.Tests/Fixtures/hf, made by tools/hf-fixtures), found from
/// the repository root, for the test projects beyond the model's (linked into each one that uses them).
/// </summary>
internal static class HfFixtureFolders
{
    public static string Folder(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kimi.Actors.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException($"no Kimi.Actors.sln above {AppContext.BaseDirectory}");
        return Path.Combine(dir.FullName, "tests", "Kimi.Actors.Model.Tests", "Fixtures", "hf", name);
    }

    /// <summary>transformers' reference outputs for a fixture (NAME.reference.json).</summary>
    public static JsonNode Reference(string name) => JsonNode.Parse(File.ReadAllText(Folder(name) + ".reference.json"))!;
}
