using System.Diagnostics;
using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>The verdict on one program: passed (every test), reward 1 or 0, why, and the wall time it took to judge.</summary>
public sealed record CodeVerdict(bool Passed, string Reason, long WallMs, int TestsPassed, int TestsRun)
{
    public int Reward => Passed ? 1 : 0;
}

/// <summary>
/// Runs a program against its tests in the <see cref="Sandbox"/>: compile once if the language has a compile step,
/// then each test in a fresh sandbox, stopping at the first failure. Never throws for anything the program does;
/// a failure of the judging itself (a sandbox error, an exception) is reward 0 with the cause as its reason.
/// </summary>
public sealed class CodeJudge(Sandbox sandbox)
{
    public const string ProgramName = "main", HarnessName = "_harness";

    public Sandbox Sandbox { get; } = sandbox;

    public async Task<CodeVerdict> JudgeAsync(string program, string extension, IReadOnlyList<CodeTest> tests, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        CodeVerdict Verdict(bool passed, string reason, int ok) => new(passed, reason, clock.ElapsedMilliseconds, ok, tests.Count);
        LanguageSpec language;
        try { language = Sandbox.Settings.LanguageFor(extension); }
        catch (ArgumentException e) { return Verdict(false, $"{VerifyReasons.UnknownLanguage}: {e.Message}", 0); }
        if (tests.Count == 0) return Verdict(false, VerifyReasons.NoTests, 0);
        if (tests.OfType<CodeTest.Call>().Any() && (language.Harness is null || language.CallRun is null))
            return Verdict(false, $"{VerifyReasons.UnknownLanguage}: .{language.Extension} has no function-call harness", 0);

        try
        {
            var file = $"{ProgramName}.{language.Extension}";
            var files = new Dictionary<string, string> { [file] = program };
            if (language.Harness is not null) files[HarnessName + ".py"] = Harnesses.For(language.Harness);
            using var folder = Sandbox.CreateFolder(files);
            string Expand(string arg) => arg.Replace("{file}", $"{Sandbox.ProgramDir}/{file}").Replace("{dir}", Sandbox.ProgramDir)
                .Replace("{harness}", $"{Sandbox.ProgramDir}/{HarnessName}.py");
            var env = language.Environment ?? new Dictionary<string, string>();
            var limits = Sandbox.Settings.Limits;

            if (language.Compile is { Count: > 0 } compile)
            {
                var built = await Sandbox.RunAsync(folder, compile.Select(Expand).ToList(), env, "", writable: true, Sandbox.Settings.CompileWallTime, cancellation).ConfigureAwait(false);
                if (built.Status == SandboxStatus.SandboxError) return Verdict(false, $"{VerifyReasons.SandboxFailure}: {built.StderrTail.Trim()}", 0);
                if (!built.Succeeded) return Verdict(false, $"{VerifyReasons.CompileError}: {built.Describe(limits)}", 0);
            }

            for (int i = 0; i < tests.Count; i++)
            {
                var (command, stdin) = tests[i] switch
                {
                    CodeTest.Stdio s => (language.Run, s.Input),
                    CodeTest.Call c => (language.CallRun!, JsonSerializer.Serialize(new { function = c.Function, args = c.Args })),
                    _ => throw new ArgumentException("unknown test kind"),
                };
                var run = await Sandbox.RunAsync(folder, command.Select(Expand).ToList(), env, stdin, writable: false, limits.WallTime, cancellation).ConfigureAwait(false);
                string at = $" on test {i + 1}";
                if (run.Status == SandboxStatus.SandboxError) return Verdict(false, $"{VerifyReasons.SandboxFailure}{at}: {run.StderrTail.Trim()}", i);
                if (run.Status != SandboxStatus.Exited) return Verdict(false, run.Describe(limits) + at, i);
                if (run.ExitCode != 0) return Verdict(false, $"{VerifyReasons.RuntimeError}{at} ({run.Describe(limits)})", i);
                if (!Matches(tests[i], run.Stdout, out var got)) return Verdict(false, $"{VerifyReasons.WrongOutput}{at}: got {Excerpt(got)}", i);
            }
            return Verdict(true, VerifyReasons.Ok, tests.Count);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return Verdict(false, $"{VerifyReasons.JudgeFailed}: {e.GetType().Name}: {e.Message}", 0);
        }
    }

    private static bool Matches(CodeTest test, string stdout, out string got)
    {
        got = CodeTest.Canonical(stdout);
        if (test is CodeTest.Stdio s) return got == CodeTest.Canonical(s.Output);
        var call = (CodeTest.Call)test;
        int marker = stdout.LastIndexOf(Harnesses.ResultMarker, StringComparison.Ordinal);
        if (marker < 0) return false;
        got = stdout[(marker + Harnesses.ResultMarker.Length)..].Trim();
        try
        {
            using var result = JsonDocument.Parse(got);
            return JsonNumbersEqual(result.RootElement, call.Expected);
        }
        catch (JsonException) { return false; }
    }

    // JSON equality where 2 and 2.0 are the same number (Python may return either) and objects ignore key order.
    private static bool JsonNumbersEqual(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number) return a.GetDecimal() == b.GetDecimal();
        if (a.ValueKind != b.ValueKind) return false;
        return a.ValueKind switch
        {
            JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => JsonNumbersEqual(p.First, p.Second)),
            JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
                && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var v) && JsonNumbersEqual(p.Value, v)),
            _ => JsonElement.DeepEquals(a, b),
        };
    }

    private static string Excerpt(string s) => JsonSerializer.Serialize(s.Length > 60 ? s[..60] + "..." : s);
}

/// <summary>Built-in function-call harnesses: load the program, call the function named on stdin, print the JSON result after a marker.</summary>
public static class Harnesses
{
    /// <summary>Precedes the result, so what the program itself prints cannot be mistaken for it.</summary>
    public const string ResultMarker = "\u0001kimi-result\u0001";

    private const string Python = """
        import importlib.util, json, sys
        call = json.loads(sys.stdin.read())
        spec = importlib.util.spec_from_file_location("solution", sys.argv[1])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = getattr(module, call["function"])(*call["args"])
        sys.stdout.write("\n\x01kimi-result\x01" + json.dumps(result))
        """;

    public static string For(string name) => name == SandboxSettings.PythonHarness ? Python
        : throw new ArgumentException($"unknown function-call harness '{name}'; built in: {SandboxSettings.PythonHarness}");
}
