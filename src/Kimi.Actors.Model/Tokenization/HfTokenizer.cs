using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Model.Checkpoints;
using Tokenizers.DotNet;

namespace Kimi.Actors.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer (<c>tokenizer.json</c> with <c>tokenizer_config.json</c>) run by Hugging Face's own
/// Rust <c>tokenizers</c> library through the Tokenizers.DotNet binding, so normalisation, the pre-tokenizer's split
/// pattern, byte-level mapping, merges and added/special tokens are exactly what <c>transformers</c> does. The binding
/// always encodes with <c>add_special_tokens=True</c>; the plain encoding (<c>False</c>) runs a second instance of the
/// same file without its post-processor, the only part of the pipeline that flag switches off.
/// </summary>
public sealed class HfTokenizer : ITokenizer, IDisposable
{
    public const string TokenizerFile = "tokenizer.json";
    public const string ConfigFile = "tokenizer_config.json";
    public const string ChatTemplateFile = "chat_template.jinja";

    private readonly Tokenizer _withSpecial;
    private readonly Tokenizer? _plain;
    private readonly Dictionary<string, int> _vocabulary;

    private HfTokenizer(Tokenizer withSpecial, Tokenizer? plain, Dictionary<string, int> vocabulary, IReadOnlyDictionary<string, int> specialTokens,
        string? bos, string eos, string? pad, string? chatTemplate, string source)
    {
        _withSpecial = withSpecial;
        _plain = plain;
        _vocabulary = vocabulary;
        SpecialTokens = specialTokens;
        VocabSize = vocabulary.Values.Max() + 1;
        BosToken = bos;
        EosToken = eos;
        PadToken = pad;
        ChatTemplate = chatTemplate;
        Source = source;
    }

    /// <summary>The folder the tokenizer was read from.</summary>
    public string Source { get; }
    /// <summary>Highest id plus one (the model's vocab_size may be larger: padded embedding rows).</summary>
    public int VocabSize { get; }
    public string? BosToken { get; }
    public string EosToken { get; }
    public string? PadToken { get; }
    public int? BosId => BosToken is null ? null : _vocabulary[BosToken];
    public int EosId => _vocabulary[EosToken];
    /// <summary>pad_token when the tokenizer has one, else the eos id (as transformers pads for generation).</summary>
    public int PadId => PadToken is null ? EosId : _vocabulary[PadToken];
    /// <summary>Added tokens marked special (dropped by <see cref="Decode"/>), by content.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }
    /// <summary>The Jinja chat template (chat_template.jinja, else tokenizer_config.json's), or null.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Byte-level BPE (or byte fallback) encodes any text.</summary>
    public bool CanEncode(char c) => true;

    public int[] Encode(string text) => Encode(text, addSpecialTokens: false);

    public int[] Encode(string text, bool addSpecialTokens)
    {
        var tokenizer = addSpecialTokens ? _withSpecial : _plain ?? _withSpecial;
        uint[] ids;
        try { ids = tokenizer.Encode(text); }
        catch (TokenizerException e) { throw new ArgumentException($"text cannot be tokenized: {e.Message}", nameof(text), e); }
        return Array.ConvertAll(ids, i => (int)i);
    }

    /// <summary>Decodes ids, dropping special tokens (transformers' <c>skip_special_tokens=True</c>); unknown ids are skipped.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var raw = new uint[ids.Length];
        for (int i = 0; i < ids.Length; i++) raw[i] = ids[i] < 0 ? uint.MaxValue : (uint)ids[i];
        return _withSpecial.Decode(raw);
    }

    /// <summary>The id of a token's text, or null when the vocabulary has no such token.</summary>
    public int? TokenId(string token) => _vocabulary.TryGetValue(token, out int id) ? id : null;

    /// <summary>
    /// Reads the tokenizer of a model folder. With <paramref name="modelVocabSize"/> (the model's vocab_size) every
    /// token id must fit the embedding. Errors name the file and field.
    /// </summary>
    public static HfTokenizer Load(string directory, int? modelVocabSize = null)
    {
        string path = Path.Combine(directory, TokenizerFile);
        if (!File.Exists(path)) throw new CheckpointException(path, null, "missing (a Hugging Face tokenizer is tokenizer.json with tokenizer_config.json)");
        JsonObject json = ParseObject(path);
        var vocabulary = ReadVocabulary(json, path, out var special, out var added);
        if (modelVocabSize is int size && vocabulary.MaxBy(p => p.Value) is var (token, top) && top >= size)
            throw new CheckpointException(path, added.Contains(token) ? "added_tokens" : "model.vocab",
                $"token id {top} ('{token}') does not fit the model's vocab_size {size} ({PretrainedFolder.ConfigFile}): the tokenizer does not match the model");

        string configPath = Path.Combine(directory, ConfigFile);
        JsonObject config = File.Exists(configPath) ? ParseObject(configPath) : new JsonObject();
        string? Token(string field)
        {
            var node = config[field];
            string? value = node switch
            {
                null => null,
                JsonValue v when v.TryGetValue(out string? s) => s,
                JsonObject o when o["content"] is JsonValue c && c.TryGetValue(out string? s) => s,
                _ => throw new CheckpointException(configPath, field, "expected a token string, an added-token object or null"),
            };
            if (value is not null && !vocabulary.ContainsKey(value))
                throw new CheckpointException(configPath, field, $"token '{value}' is not in {TokenizerFile}");
            return value;
        }
        string? bos = Token("bos_token"), pad = Token("pad_token");
        string eos = Token("eos_token") ?? throw new CheckpointException(configPath, "eos_token", "missing: generation needs an end-of-sequence token");

        var templatePath = Path.Combine(directory, ChatTemplateFile);
        string? template = File.Exists(templatePath) ? File.ReadAllText(templatePath) : config["chat_template"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            // A list of named templates: the one named "default".
            JsonArray list => list.OfType<JsonObject>().FirstOrDefault(t => (string?)t["name"] == "default")?["template"]?.GetValue<string>(),
            _ => throw new CheckpointException(configPath, "chat_template", "expected a string or a list of {name, template}"),
        };

        var withSpecial = Open(path, path);
        Tokenizer? plain = null;
        if (json["post_processor"] is not null)
        {
            // add_special_tokens=False: the same pipeline without the post-processor (the only stage that flag controls).
            var copy = (JsonObject)json.DeepClone();
            copy["post_processor"] = null;
            string temporary = Path.Combine(Path.GetTempPath(), $"kimi-tokenizer-{Guid.NewGuid():N}.json");
            try
            {
                File.WriteAllText(temporary, copy.ToJsonString());
                plain = Open(temporary, path);
            }
            finally { File.Delete(temporary); }
        }
        return new HfTokenizer(withSpecial, plain, vocabulary, special, bos, eos, pad, template, directory);
    }

    private static Tokenizer Open(string file, string source)
    {
        try { return new Tokenizer(file); }
        catch (TokenizerException e) { throw new CheckpointException(source, null, $"the tokenizers library cannot load it: {e.Message}", e); }
    }

    private static JsonObject ParseObject(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException(path, null, "expected a JSON object"); }
        catch (JsonException e) { throw new CheckpointException(path, null, $"invalid JSON: {e.Message}", e); }
    }

    /// <summary>Every token by text: the model's vocabulary and the added tokens. Only BPE with byte-level mapping or byte fallback is accepted.</summary>
    private static Dictionary<string, int> ReadVocabulary(JsonObject json, string path, out Dictionary<string, int> special, out HashSet<string> added)
    {
        if (json["model"] is not JsonObject model) throw new CheckpointException(path, "model", "missing or not an object");
        string? type = (string?)model["type"];
        if (type != "BPE") throw new CheckpointException(path, "model.type", $"'{type}': only BPE tokenizers are supported");
        bool byteLevel = json.ToJsonString().Contains("\"ByteLevel\"") || model["byte_fallback"] is JsonValue b && b.GetValue<bool>();
        if (!byteLevel) throw new CheckpointException(path, "pre_tokenizer", "neither byte-level nor byte fallback: some text would have no tokens");
        if (model["vocab"] is not JsonObject vocab) throw new CheckpointException(path, "model.vocab", "missing or not an object");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocab)
        {
            if (id is not JsonValue v || !v.TryGetValue(out int i) || i < 0) throw new CheckpointException(path, $"model.vocab['{token}']", "expected a non-negative token id");
            result[token] = i;
        }
        special = new Dictionary<string, int>(StringComparer.Ordinal);
        added = new HashSet<string>(StringComparer.Ordinal);
        if (json["added_tokens"] is JsonArray addedTokens)
            foreach (var entry in addedTokens.OfType<JsonObject>())
            {
                string? content = (string?)entry["content"];
                if (content is null || entry["id"] is not JsonValue v || !v.TryGetValue(out int i) || i < 0)
                    throw new CheckpointException(path, "added_tokens", $"entry {entry.ToJsonString()} needs a content and a non-negative id");
                result[content] = i;
                added.Add(content);
                if (entry["special"] is JsonValue s && s.GetValue<bool>()) special[content] = i;
            }
        if (result.Count == 0) throw new CheckpointException(path, "model.vocab", "empty vocabulary");
        return result;
    }

    public void Dispose()
    {
        _withSpecial.Dispose();
        _plain?.Dispose();
    }
}
