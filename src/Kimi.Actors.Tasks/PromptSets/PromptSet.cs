using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kimi.Actors.Tasks.Images;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Prompt sets as JSON Lines: one object per line with <c>id</c>, <c>prompt</c>, <c>answer</c>,
/// <c>domain</c>, <c>difficulty</c> (1..10) and optional <c>tags</c> and <c>images</c>; any other field goes to
/// <see cref="PromptRecord.Extra"/>. Blank lines are skipped. Each image is a path relative to the file (or absolute),
/// a base64 data URI (<c>data:image/png;base64,...</c> or <c>image/jpeg</c>), or a built-in render
/// (<c>render:&lt;renderer&gt;:&lt;scene&gt;</c>); every one is read, fully decoded as PNG or JPEG and hashed on load. Loading is all-or-nothing: the first problem
/// throws a <see cref="PromptSetException"/> naming file, line and field.
/// </summary>
public static class PromptSet
{
    public const int MinDifficulty = 1;
    public const int MaxDifficulty = 10;

    private const string IdField = "id", PromptField = "prompt", AnswerField = "answer", DomainField = "domain",
        DifficultyField = "difficulty", TagsField = "tags";

    public const string ImagesField = "images";

    private static readonly HashSet<string> KnownFields =
        new([IdField, PromptField, AnswerField, DomainField, DifficultyField, TagsField, ImagesField], StringComparer.Ordinal);

    // Relaxed escaping keeps '+', '<', '>' and quotes readable in the file; the output is never embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<PromptRecord> Load(string path, PromptSetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new PromptSetLoadOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTextChars, 1, nameof(options));
        if (!File.Exists(path)) throw new PromptSetException(path, 0, null, "file not found");

        var records = new List<PromptRecord>();
        var firstLineOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var reader = new LineReader(path, lineNumber, options);
                var record = reader.Read(line);
                if (firstLineOfId.TryGetValue(record.Id, out var first))
                    throw new PromptSetException(path, lineNumber, IdField, $"duplicate id {Quote(record.Id)} (first on line {first})");
                firstLineOfId[record.Id] = lineNumber;
                records.Add(record);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PromptSetException(path, lineNumber, null, $"cannot read the file: {e.Message}", e);
        }
        return records;
    }

    /// <summary>
    /// Writes records so that <see cref="Load"/> (with default options) reads them back equal. The file is
    /// replaced only once every record has been written, so a failure leaves the old file intact.
    /// </summary>
    /// <exception cref="ArgumentException">A record Load would reject (empty id/prompt/domain, difficulty out of
    /// range, duplicate id, an Extra key that is a known field, an undefined Extra value).</exception>
    public static void Write(string path, IEnumerable<PromptRecord> records)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(records);
        var temp = path + ".tmp";
        try
        {
            using (var stream = File.Create(temp))
            {
                var ids = new HashSet<string>(StringComparer.Ordinal);
                var newline = "\n"u8.ToArray();
                foreach (var record in records)
                {
                    Validate(record, ids);
                    using (var writer = new Utf8JsonWriter(stream, WriterOptions)) WriteRecord(writer, record);
                    stream.Write(newline);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void Validate(PromptRecord record, HashSet<string> ids)
    {
        ArgumentNullException.ThrowIfNull(record);
        string what = $"prompt record '{record.Id}'";
        if (string.IsNullOrEmpty(record.Id)) throw new ArgumentException("prompt record with an empty id", nameof(record));
        if (!ids.Add(record.Id)) throw new ArgumentException($"duplicate id '{record.Id}'", nameof(record));
        if (string.IsNullOrEmpty(record.Prompt)) throw new ArgumentException($"{what} has an empty prompt", nameof(record));
        if (record.Answer is null) throw new ArgumentException($"{what} has no answer", nameof(record));
        if (string.IsNullOrEmpty(record.Domain)) throw new ArgumentException($"{what} has an empty domain", nameof(record));
        if (record.Difficulty < MinDifficulty || record.Difficulty > MaxDifficulty)
            throw new ArgumentException($"{what} has difficulty {record.Difficulty}, outside {MinDifficulty}..{MaxDifficulty}", nameof(record));
        if (record.Tags is null || record.Tags.Any(t => t is null)) throw new ArgumentException($"{what} has null tags", nameof(record));
        if (record.Images is null || record.Images.Any(i => i is null)) throw new ArgumentException($"{what} has null images", nameof(record));
        foreach (var (key, value) in record.Extra ?? new Dictionary<string, JsonElement>())
        {
            if (KnownFields.Contains(key)) throw new ArgumentException($"{what} has extra field '{key}', which is a known field", nameof(record));
            if (value.ValueKind == JsonValueKind.Undefined) throw new ArgumentException($"{what} has an undefined value for extra field '{key}'", nameof(record));
        }
    }

    private static void WriteRecord(Utf8JsonWriter writer, PromptRecord record)
    {
        writer.WriteStartObject();
        writer.WriteString(IdField, record.Id);
        writer.WriteString(PromptField, record.Prompt);
        writer.WriteString(AnswerField, record.Answer);
        writer.WriteString(DomainField, record.Domain);
        writer.WriteNumber(DifficultyField, record.Difficulty);
        writer.WriteStartArray(TagsField);
        foreach (var tag in record.Tags) writer.WriteStringValue(tag);
        writer.WriteEndArray();
        if (record.HasImages)
        {
            writer.WriteStartArray(ImagesField);
            foreach (var image in record.Images) writer.WriteStringValue(ImageText(image));
            writer.WriteEndArray();
        }
        foreach (var (key, value) in record.Extra ?? new Dictionary<string, JsonElement>())
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>An image as the file names it: a file by its absolute path, a render by its scene, an inline image as a data URI.</summary>
    private static string ImageText(PromptImage image)
    {
        if (image.Source.StartsWith(PromptImage.FileScheme, StringComparison.Ordinal)) return image.Source[PromptImage.FileScheme.Length..];
        if (image.Source.StartsWith(PromptImage.RenderScheme, StringComparison.Ordinal)) return image.Source;
        var bytes = ImageSources.ReadVerified(image);
        return DataUri.Encode(bytes, ImageCodec.Probe(bytes).Format);
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s.Length > 40 ? s[..40] + "..." : s);

    /// <summary>Reads and validates one non-blank line; every problem becomes a PromptSetException.</summary>
    private sealed class LineReader(string path, int line, PromptSetLoadOptions options)
    {
        public PromptRecord Read(string text)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw Error(null, $"invalid JSON near byte {(e.BytePositionInLine ?? 0) + 1}", e);
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw Error(null, $"expected a JSON object, got {Describe(root)}");

                var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in root.EnumerateObject())
                {
                    if (!fields.TryAdd(property.Name, property.Value.Clone()))
                        throw Error(property.Name, "appears twice");
                }

                var id = Text(fields, IdField, allowEmpty: false, checkChars: false);
                var prompt = Text(fields, PromptField, allowEmpty: false, checkChars: true);
                var answer = Text(fields, AnswerField, allowEmpty: true, checkChars: true);
                var domain = Text(fields, DomainField, allowEmpty: false, checkChars: false);
                var difficulty = Difficulty(fields);
                var tags = Tags(fields);
                var images = Images(fields);
                var extra = fields.Where(f => !KnownFields.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
                return new PromptRecord(id, prompt, answer, domain, difficulty, tags, extra.Count == 0 ? null : extra) { Images = images };
            }
        }

        private string Text(Dictionary<string, JsonElement> fields, string name, bool allowEmpty, bool checkChars)
        {
            var value = Required(fields, name);
            string expected = allowEmpty ? "expected a string" : "expected a non-empty string";
            if (value.ValueKind != JsonValueKind.String) throw Error(name, $"{expected}, got {Describe(value)}");
            var s = value.GetString()!;
            if (!allowEmpty && s.Length == 0) throw Error(name, $"{expected}, got \"\"");
            CheckText(name, s, checkChars);
            return s;
        }

        private int Difficulty(Dictionary<string, JsonElement> fields)
        {
            var value = Required(fields, DifficultyField);
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var d) || d < MinDifficulty || d > MaxDifficulty)
                throw Error(DifficultyField, $"expected an integer {MinDifficulty}..{MaxDifficulty}, got {Describe(value)}");
            return d;
        }

        private string[] Tags(Dictionary<string, JsonElement> fields)
        {
            if (!fields.TryGetValue(TagsField, out var value)) return [];
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
                throw Error(TagsField, $"expected an array of strings, got {Describe(value)}");
            var tags = value.EnumerateArray().Select(t => t.GetString()!).ToArray();
            foreach (var tag in tags) CheckText(TagsField, tag, checkChars: false);
            return tags;
        }

        /// <summary>Every image read, decoded and hashed now, so a missing or corrupt one stops the load at its line.</summary>
        private PromptImage[] Images(Dictionary<string, JsonElement> fields)
        {
            if (!fields.TryGetValue(ImagesField, out var value)) return [];
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
                throw Error(ImagesField, $"expected an array of image paths or data URIs, got {Describe(value)}");
            var texts = value.EnumerateArray().Select(t => t.GetString()!).ToArray();
            if (texts.Length > options.MaxImages) throw Error(ImagesField, $"{texts.Length} images, at most {options.MaxImages}");
            var images = new PromptImage[texts.Length];
            for (int i = 0; i < texts.Length; i++) images[i] = Image(texts[i], i);
            return images;
        }

        private PromptImage Image(string text, int index)
        {
            string field = $"{ImagesField}[{index}]";
            if (text.Length == 0) throw Error(field, "empty: expected an image path or a data URI");
            if (text.StartsWith(PromptImage.RenderScheme, StringComparison.Ordinal))
            {
                var rest = text[PromptImage.RenderScheme.Length..];
                int colon = rest.IndexOf(':');
                if (colon < 0) throw Error(field, $"expected render:<renderer>:<scene>, got {Quote(text)}");
                try { return ImageRenderers.Reference(rest[..colon], rest[(colon + 1)..]); }
                catch (PromptImageException e) { throw Error(field, e.Message, e); }
            }
            byte[] bytes;
            string what, setPath = Path.GetFullPath(path), full = "";
            bool inline = DataUri.IsDataUri(text);
            if (inline)
            {
                what = "inline image";
                try { bytes = DataUri.Decode(text) ?? throw Error(field, "expected data:image/png;base64,... or data:image/jpeg;base64,..."); }
                catch (FormatException e) { throw Error(field, $"inline image: malformed base64 ({e.Message})", e); }
            }
            else
            {
                full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(setPath) ?? "", text));
                what = $"image '{text}'" + (text == full ? "" : $" ({full})");
                if (!File.Exists(full)) throw Error(field, $"{what}: file not found");
                try
                {
                    if (new FileInfo(full).Length > options.MaxImageBytes) throw Error(field, $"{what}: larger than {options.MaxImageBytes} bytes");
                    bytes = File.ReadAllBytes(full);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Error(field, $"{what}: cannot read it: {e.Message}", e); }
            }
            if (bytes.Length > options.MaxImageBytes) throw Error(field, $"{what}: larger than {options.MaxImageBytes} bytes");
            try { ImageCodec.Decode(bytes).Dispose(); }
            catch (PromptImageException e) { throw Error(field, $"{what}: {e.Message}", e); }
            return inline ? PromptImage.OfInline(setPath, line, index, bytes) : PromptImage.OfFile(full, bytes);
        }

        private JsonElement Required(Dictionary<string, JsonElement> fields, string name) =>
            fields.TryGetValue(name, out var value) ? value : throw Error(name, "missing");

        private void CheckText(string name, string s, bool checkChars)
        {
            if (s.Length > options.MaxTextChars)
                throw Error(name, $"longer than {options.MaxTextChars} characters ({s.Length})");
            if (!checkChars || options.IsAllowedChar is not { } allowed) return;
            for (int i = 0; i < s.Length; i++)
            {
                if (!allowed(s[i])) throw Error(name, $"character U+{(int)s[i]:X4} is not allowed (at index {i})");
            }
        }

        private PromptSetException Error(string? field, string detail, Exception? inner = null) =>
            new(path, line, field, detail, inner);

        // The value as it appears in the file, shortened so a huge value cannot flood a log line.
        private static string Describe(JsonElement value)
        {
            var raw = value.GetRawText();
            return raw.Length > 40 ? raw[..40] + "..." : raw;
        }
    }
}
