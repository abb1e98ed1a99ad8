using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>One test of a program: stdin/stdout style, or a function call with JSON arguments and result.</summary>
public abstract record CodeTest
{
    /// <summary>Feeds <paramref name="Input"/> on stdin; stdout must equal <paramref name="Output"/> after trimming trailing white space (per line and at the end).</summary>
    public sealed record Stdio(string Input, string Output) : CodeTest;

    /// <summary>Calls <paramref name="Function"/>(*<paramref name="Args"/>); the JSON result must equal <paramref name="Expected"/>.</summary>
    public sealed record Call(string Function, JsonElement Args, JsonElement Expected) : CodeTest;

    public const string InputField = "input", OutputField = "output", FunctionField = "function", ArgsField = "args", ExpectedField = "expected";

    /// <summary>Reads one test object; throws <see cref="FormatException"/> naming the field that is wrong.</summary>
    public static CodeTest FromJson(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("a test is a JSON object");
        bool Has(string f) => e.TryGetProperty(f, out _);
        if (Has(FunctionField))
        {
            var function = e.GetProperty(FunctionField);
            if (function.ValueKind != JsonValueKind.String || function.GetString() is not { Length: > 0 } name)
                throw new FormatException($"field '{FunctionField}': expected a function name");
            if (!e.TryGetProperty(ArgsField, out var args) || args.ValueKind != JsonValueKind.Array)
                throw new FormatException($"field '{ArgsField}': expected a JSON array of arguments");
            if (!e.TryGetProperty(ExpectedField, out var expected)) throw new FormatException($"field '{ExpectedField}': missing");
            return new Call(name, args.Clone(), expected.Clone());
        }
        if (!e.TryGetProperty(InputField, out var input) || input.ValueKind != JsonValueKind.String)
            throw new FormatException($"field '{InputField}': expected a string (the program's stdin), or '{FunctionField}' for a function-call test");
        if (!e.TryGetProperty(OutputField, out var output) || output.ValueKind != JsonValueKind.String)
            throw new FormatException($"field '{OutputField}': expected a string (the expected stdout)");
        return new Stdio(input.GetString()!, output.GetString()!);
    }

    public static JsonElement ToJson(IEnumerable<CodeTest> tests) => JsonSerializer.SerializeToElement(tests.Select(t => t switch
    {
        Stdio s => (object)new Dictionary<string, string> { [InputField] = s.Input, [OutputField] = s.Output },
        Call c => new Dictionary<string, JsonElement>
        {
            [FunctionField] = JsonSerializer.SerializeToElement(c.Function), [ArgsField] = c.Args, [ExpectedField] = c.Expected,
        },
        _ => throw new ArgumentException("unknown test kind"),
    }).ToList());

    /// <summary>A JSON Lines file of tests; a bad line throws <see cref="PromptSetException"/> naming file, line and field.</summary>
    public static IReadOnlyList<CodeTest> LoadJsonl(string path)
    {
        if (!File.Exists(path)) throw new PromptSetException(path, 0, null, "file not found");
        var tests = new List<CodeTest>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                tests.Add(FromJson(doc.RootElement));
            }
            catch (JsonException e) { throw new PromptSetException(path, line, null, $"invalid JSON near byte {(e.BytePositionInLine ?? 0) + 1}", e); }
            catch (FormatException e) { throw new PromptSetException(path, line, null, e.Message, e); }
        }
        if (tests.Count == 0) throw new PromptSetException(path, 0, null, "no tests");
        return tests;
    }

    /// <summary>Output comparison: trailing white space of each line and trailing blank lines do not count.</summary>
    public static string Canonical(string output) =>
        string.Join('\n', output.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd();
}
