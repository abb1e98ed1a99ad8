using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// A Hugging Face model folder as found on disk: its <c>config.json</c> exactly as written (kept to write back, so
/// fields this code does not use survive a save), the parsed <see cref="ModelConfig"/>, where each weight lives
/// (<c>model.safetensors</c>, or shards listed by <c>model.safetensors.index.json</c>) and the weights' element type.
/// Opening checks the layout (every listed shard exists and holds what the index says) without reading tensor data.
/// </summary>
public sealed record PretrainedFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const string GenerationConfigFile = "generation_config.json";

    /// <summary>Files beside the weights that a saved checkpoint carries over unchanged (tokenizer, generation defaults).</summary>
    public static readonly string[] CompanionFiles =
    [
        GenerationConfigFile, "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json",
        "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "tokenizer.model",
    ];

    public required string Directory { get; init; }
    public required JsonObject ConfigJson { get; init; }
    public required ModelConfig Config { get; init; }
    /// <summary>Tensor name to the file (name inside <see cref="Directory"/>) that holds it.</summary>
    public required IReadOnlyDictionary<string, string> WeightMap { get; init; }
    /// <summary>The shard index as written (its <c>metadata</c> is kept), or null for a single <c>model.safetensors</c>.</summary>
    public JsonObject? Index { get; init; }
    public required ScalarType WeightsDtype { get; init; }
    /// <summary>The ids that end generation: generation_config.json's eos_token_id (often several), else config.json's.</summary>
    public required IReadOnlyList<int> StopTokenIds { get; init; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Opens a model folder; every problem is a <see cref="CheckpointException"/> naming the file and field.</summary>
    public static PretrainedFolder Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new CheckpointException(directory, null, "model folder does not exist");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new CheckpointException(configPath, null, $"missing (a model folder holds {ConfigFile} and {WeightsFile} or {IndexFile})");
        string text = File.ReadAllText(configPath);
        JsonObject configJson;
        try { configJson = JsonNode.Parse(text) as JsonObject ?? throw new CheckpointException(configPath, null, "expected a JSON object"); }
        catch (JsonException e) { throw new CheckpointException(configPath, null, $"invalid JSON: {e.Message}", e); }
        ModelConfig config;
        try { config = ModelConfig.FromJson(text, configPath); }
        catch (ArgumentException e) { throw new CheckpointException(configPath, null, e.Message.StartsWith(configPath) ? e.Message[(configPath.Length + 2)..] : e.Message, e); }
        var generationEos = ReadGenerationEos(directory);
        if (config.EosTokenIds is null && generationEos is not null)
        {
            try { config = (config with { EosTokenIds = generationEos }).Validate(); }
            catch (ArgumentException e) { throw new CheckpointException(Path.Combine(directory, GenerationConfigFile), "eos_token_id", e.Message, e); }
        }

        var (weightMap, index) = ReadLayout(directory);
        var dtypes = new Dictionary<ScalarType, long>();
        foreach (var file in weightMap.Values.Distinct())
        {
            var path = Path.Combine(directory, file);
            var header = SafeTensors.ReadHeader(path);
            foreach (var (name, f) in weightMap.Where(p => p.Value == file))
                if (header.Find(name) is null)
                    throw new CheckpointException(path, SafeTensorsHeaderParser.TensorField(name), $"listed in {IndexFile} but absent from this shard");
            foreach (var t in header.Tensors.Where(t => t.ScalarType is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
                dtypes[t.ScalarType] = dtypes.GetValueOrDefault(t.ScalarType) + t.ByteLength;
        }
        var dtype = dtypes.Count == 0 ? ScalarType.Float32 : dtypes.MaxBy(p => p.Value).Key;
        return new PretrainedFolder
        {
            Directory = directory, ConfigJson = configJson, Config = config, WeightMap = weightMap, Index = index, WeightsDtype = dtype,
            StopTokenIds = (generationEos ?? config.EosTokenIds)?.Ids ?? [],
        };
    }

    /// <summary>
    /// Tensor-to-file map: from the index when there is one (each listed shard must exist), else every tensor of
    /// <c>model.safetensors</c>.
    /// </summary>
    private static (Dictionary<string, string> Map, JsonObject? Index) ReadLayout(string directory)
    {
        var indexPath = Path.Combine(directory, IndexFile);
        var single = Path.Combine(directory, WeightsFile);
        if (!File.Exists(indexPath))
        {
            if (!File.Exists(single)) throw new CheckpointException(single, null, $"missing (and no {IndexFile} lists shards)");
            return (SafeTensors.ReadHeader(single).Tensors.ToDictionary(t => t.Name, _ => WeightsFile, StringComparer.Ordinal), null);
        }
        JsonObject index;
        try { index = JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject ?? throw new CheckpointException(indexPath, null, "expected a JSON object"); }
        catch (JsonException e) { throw new CheckpointException(indexPath, null, $"invalid JSON: {e.Message}", e); }
        if (index["weight_map"] is not JsonObject weightMap) throw new CheckpointException(indexPath, "weight_map", "missing or not an object");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in weightMap)
        {
            if (value is not JsonValue v || !v.TryGetValue(out string? file) || file.Length == 0 || file.Contains('/') || file.Contains('\\'))
                throw new CheckpointException(indexPath, $"weight_map['{name}']", "expected the file name of a shard in this folder");
            if (!File.Exists(Path.Combine(directory, file)))
                throw new CheckpointException(indexPath, $"weight_map['{name}']", $"shard '{file}' does not exist in {directory}");
            map[name] = file;
        }
        return (map, index);
    }

    /// <summary>generation_config.json's eos_token_id (one id or a list), or null without the file or the field.</summary>
    private static TokenIds? ReadGenerationEos(string directory)
    {
        var path = Path.Combine(directory, GenerationConfigFile);
        if (!File.Exists(path)) return null;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path))?["eos_token_id"];
            return node switch
            {
                null => null,
                JsonArray a => new TokenIds(a.Select(x => x!.GetValue<int>()).ToArray(), true),
                _ => new TokenIds([node.GetValue<int>()], false),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new CheckpointException(path, "eos_token_id", $"expected a token id or a list of them: {e.Message}", e);
        }
    }
}
