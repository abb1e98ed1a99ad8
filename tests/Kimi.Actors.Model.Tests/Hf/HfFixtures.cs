using System.Text.Json.Nodes;

namespace Kimi.Actors.Model.Tests.Hf;

/// <summary>
/// The checkpoints and transformers' reference outputs that tools/hf-fixtures/make_fixtures.py wrote (transformers 5.17,
/// tokenizers 0.23.2, torch 2.11, on the CPU): one folder and one NAME.reference.json per fixture.
/// </summary>
internal static class HfFixtures
{
    public static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf");

    public static readonly string[] Float32 = ["llama", "qwen2", "qwen3"];
    public static readonly string[] All = [.. Float32, "qwen3-bf16"];

    public static TheoryData<string> Float32Names => new(Float32);
    public static TheoryData<string> AllNames => new(All);

    public static string Folder(string name) => Path.Combine(Root, name);

    public static JsonObject Reference(string name) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, name + ".reference.json")))!;

    public static int[] Ids(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    /// <summary>A writable copy of a fixture folder (tests that break or rewrite files).</summary>
    public static string CopyTo(string name, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Folder(name))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }
}
