using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

public sealed class PromptSetTests : IDisposable
{
    private const string Good = """{"id":"a","prompt":"1+2=","answer":"3","domain":"arithmetic","difficulty":1}""";
    private readonly string directory = Directory.CreateTempSubdirectory("kimi-promptset-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string FileWith(params string[] lines)
    {
        var path = Path.Combine(directory, "prompts.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private PromptSetException LoadFails(string badLine, PromptSetLoadOptions? options = null)
    {
        // The bad line is line 3, after a good record and a blank line, so line counting is exercised too.
        var path = FileWith(Good, "", badLine, Good.Replace("\"a\"", "\"z\""));
        var e = Assert.Throws<PromptSetException>(() => PromptSet.Load(path, options));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(3, e.Line);
        Assert.StartsWith($"{path}:3: ", e.Message);
        return e;
    }

    private static string Without(string field) =>
        JsonSerializer.Serialize(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Good)!
            .Where(p => p.Key != field).ToDictionary(p => p.Key, p => p.Value));

    [Fact]
    public void Loads_records_with_defaults_and_extra_fields()
    {
        var path = FileWith(
            Good,
            "",
            "   ",
            """{"id":"b","prompt":"4 7 2>15:","answer":"4*2+7","domain":"search","difficulty":10,"tags":["countdown","x"],"numbers":[4,7,2],"source":{"k":null}}""");
        var records = PromptSet.Load(path);
        Assert.Equal(2, records.Count);
        Assert.Equal(new PromptRecord("a", "1+2=", "3", "arithmetic", 1, []), records[0]);
        Assert.Null(records[0].Extra);
        Assert.Equal(["countdown", "x"], records[1].Tags);
        Assert.Equal(10, records[1].Difficulty);
        Assert.Equal(["numbers", "source"], records[1].Extra!.Keys.Order());
        Assert.Equal("[4,7,2]", records[1].Extra!["numbers"].GetRawText());
    }

    [Fact]
    public void Invalid_json_names_the_line()
    {
        var e = LoadFails("""{"id":"b", "prompt": }""");
        Assert.Null(e.Field);
        Assert.Contains("invalid JSON", e.Message);
        Assert.Null(LoadFails("""{"id":"b"} {"id":"c"}""").Field);
    }

    [Theory]
    [InlineData("[1,2]", "expected a JSON object, got [1,2]")]
    [InlineData("\"text\"", "expected a JSON object, got \"text\"")]
    [InlineData("42", "expected a JSON object, got 42")]
    public void A_line_that_is_not_an_object_is_rejected(string line, string detail)
    {
        var e = LoadFails(line);
        Assert.Null(e.Field);
        Assert.Equal(detail, e.Detail);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("prompt")]
    [InlineData("answer")]
    [InlineData("domain")]
    [InlineData("difficulty")]
    public void Each_missing_required_field_is_named(string field)
    {
        var e = LoadFails(Without(field));
        Assert.Equal(field, e.Field);
        Assert.Equal($"{e.FilePath}:3: field '{field}': missing", e.Message);
    }

    [Theory]
    [InlineData("id", "7", "expected a non-empty string, got 7")]
    [InlineData("id", "\"\"", "expected a non-empty string, got \"\"")]
    [InlineData("prompt", "null", "expected a non-empty string, got null")]
    [InlineData("prompt", "\"\"", "expected a non-empty string, got \"\"")]
    [InlineData("answer", "3", "expected a string, got 3")]
    [InlineData("domain", "[\"math\"]", "expected a non-empty string, got [\"math\"]")]
    [InlineData("difficulty", "\"hard\"", "expected an integer 1..10, got \"hard\"")]
    [InlineData("difficulty", "2.5", "expected an integer 1..10, got 2.5")]
    [InlineData("difficulty", "true", "expected an integer 1..10, got true")]
    [InlineData("tags", "\"sum\"", "expected an array of strings, got \"sum\"")]
    [InlineData("tags", "[\"sum\",1]", "expected an array of strings, got [\"sum\",1]")]
    public void Each_mistyped_field_is_named_with_the_value_found(string field, string json, string detail)
    {
        var line = Without(field).Replace("}", $",\"{field}\":{json}}}");
        var e = LoadFails(line);
        Assert.Equal(field, e.Field);
        Assert.Equal(detail, e.Detail);
    }

    [Fact]
    public void The_message_has_the_documented_form()
    {
        var path = FileWith(Good.Replace("\"difficulty\":1", "\"difficulty\":\"hard\""));
        var e = Assert.Throws<PromptSetException>(() => PromptSet.Load(path));
        Assert.Equal($"{path}:1: field 'difficulty': expected an integer 1..10, got \"hard\"", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(-3)]
    [InlineData(4294967296)]
    public void Difficulty_out_of_range_is_rejected(long difficulty)
    {
        var e = LoadFails(Good.Replace("\"difficulty\":1", $"\"difficulty\":{difficulty}"));
        Assert.Equal("difficulty", e.Field);
        Assert.Equal($"expected an integer 1..10, got {difficulty}", e.Detail);
    }

    [Fact]
    public void Duplicate_ids_are_rejected_with_the_first_line()
    {
        var e = LoadFails(Good);
        Assert.Equal("id", e.Field);
        Assert.Equal("duplicate id \"a\" (first on line 1)", e.Detail);
    }

    [Fact]
    public void A_field_given_twice_is_rejected()
    {
        var e = LoadFails(Good.Replace("\"id\":\"a\"", "\"id\":\"b\",\"id\":\"c\""));
        Assert.Equal("id", e.Field);
        Assert.Equal("appears twice", e.Detail);
    }

    [Fact]
    public void Disallowed_characters_are_named_with_the_field()
    {
        var options = new PromptSetLoadOptions(PromptText.IsPolicyChar);
        var e = LoadFails(Good.Replace("1+2=", "1+2=\u00e9"), options);
        Assert.Equal("prompt", e.Field);
        Assert.Equal("character U+00E9 is not allowed (at index 4)", e.Detail);
        e = LoadFails(Good.Replace("\"3\"", "\"3\\t\""), options);
        Assert.Equal("answer", e.Field);
        Assert.Contains("U+0009", e.Message);
        // Without a filter the same text loads.
        Assert.Equal("1+2=\u00e9", PromptSet.Load(FileWith(Good.Replace("1+2=", "1+2=\u00e9")))[0].Prompt);
    }

    [Fact]
    public void Over_long_text_is_rejected()
    {
        // "arithmetic" on the good lines is exactly 10 characters.
        var options = new PromptSetLoadOptions(MaxTextChars: 10);
        var e = LoadFails(Good.Replace("1+2=", "1+2+3+4+5+6="), options);
        Assert.Equal("prompt", e.Field);
        Assert.Equal("longer than 10 characters (12)", e.Detail);
        Assert.Equal("tags", LoadFails(Good.Replace("}", ",\"tags\":[\"12345678901\"]}"), options).Field);
    }

    [Fact]
    public void A_missing_file_is_line_zero()
    {
        var path = Path.Combine(directory, "absent.jsonl");
        var e = Assert.Throws<PromptSetException>(() => PromptSet.Load(path));
        Assert.Equal((path, 0, (string?)null), (e.FilePath, e.Line, e.Field));
        Assert.Equal($"{path}:0: file not found", e.Message);
    }

    [Fact]
    public void Write_then_load_gives_equal_records()
    {
        var (train, validation, test) = PromptSetBuilder.Build(BuiltinTasks.All, 10, 1, 2, seed: 5);
        var records = train.Concat(validation).Concat(test).Append(
            new PromptRecord("odd \"id\"", "line one\nline two \\ <>&'+", "", "math", 10, ["a", "b c"],
                new Dictionary<string, JsonElement> { ["meta"] = JsonSerializer.SerializeToElement(new { x = 1.5, y = new[] { "s" } }) }))
            .ToList();
        var path = Path.Combine(directory, "out.jsonl");
        PromptSet.Write(path, records);
        var loaded = PromptSet.Load(path, new PromptSetLoadOptions(PromptText.IsPolicyChar));
        Assert.Equal(records, loaded);
        Assert.Equal(records.Count, File.ReadAllLines(path).Length);
        Assert.Contains("\"prompt\":\"4 ", File.ReadAllText(path));
        Assert.Contains(">", File.ReadAllLines(path).First(l => l.Contains("countdown")));
    }

    [Fact]
    public void Write_rejects_records_load_would_reject_and_keeps_the_old_file()
    {
        var path = Path.Combine(directory, "keep.jsonl");
        var good = new PromptRecord("a", "1+2=", "3", "arithmetic", 1, []);
        PromptSet.Write(path, [good]);
        var before = File.ReadAllText(path);
        Assert.Throws<ArgumentException>(() => PromptSet.Write(path, [good, good]));
        Assert.Throws<ArgumentException>(() => PromptSet.Write(path, [good with { Difficulty = 11 }]));
        Assert.Throws<ArgumentException>(() => PromptSet.Write(path, [good with { Prompt = "" }]));
        Assert.Throws<ArgumentException>(() => PromptSet.Write(path,
            [good with { Extra = new Dictionary<string, JsonElement> { ["id"] = JsonSerializer.SerializeToElement("b") } }]));
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(directory).Select(Path.GetFileName));
    }
}
