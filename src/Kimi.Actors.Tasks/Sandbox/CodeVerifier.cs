using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>
/// The "code" domain: the response's program (the last fenced <c>```</c> block, else the text after the last '#')
/// runs against the prompt's tests (<c>Extra["tests"]</c>, a JSON array of <see cref="CodeTest"/> objects) in the
/// sandbox; the language is <c>Extra["language"]</c> (an extension, default <c>py</c>). Correct only when every
/// test passes. The sandbox starts on first use with the configured settings (<see cref="Configure"/>); when it
/// cannot start, every verdict is incorrect with the reason, and no program runs.
/// </summary>
public sealed class CodeVerifier : IVerifier
{
    public const string TestsField = "tests", LanguageField = "language", DefaultLanguage = "py";

    /// <summary>Longest program judged, in characters.</summary>
    public const int MaxProgramChars = 1 << 16;

    public static CodeVerifier Shared { get; } = new(SandboxSettings.Default);

    private readonly object gate = new();
    private SandboxSettings settings;
    private Lazy<CodeJudge> judge;

    public CodeVerifier(SandboxSettings settings)
    {
        this.settings = settings;
        judge = NewJudge(settings);
    }

    /// <summary>Sets the sandbox settings; allowed until the sandbox has started, and afterwards only with equal settings.</summary>
    public void Configure(SandboxSettings newSettings)
    {
        ArgumentNullException.ThrowIfNull(newSettings);
        lock (gate)
        {
            // Settings read twice from the same configuration are different objects with equal values (their lists
            // and maps compare by reference in the records), so equality is by their JSON form.
            if (ReferenceEquals(newSettings, settings) || SameValues(newSettings, settings)) return;
            if (judge.IsValueCreated) throw new InvalidOperationException("the code judge's sandbox has started; its settings can no longer change");
            settings = newSettings;
            judge = NewJudge(newSettings);
        }
    }

    /// <summary>Starts the sandbox now (a preflight for whatever will judge code).</summary>
    /// <exception cref="SandboxUnavailableException">What is missing.</exception>
    public CodeJudge Start()
    {
        Lazy<CodeJudge> current;
        lock (gate) current = judge;
        return current.Value;
    }

    public VerifyResult Verify(PromptRecord prompt, string response) => VerifyAsync(prompt, response).GetAwaiter().GetResult();

    public async Task<VerifyResult> VerifyAsync(PromptRecord prompt, string response, CancellationToken cancellation = default)
    {
        if (!TryReadPrompt(prompt, out var tests, out var language, out var bad)) return VerifyResult.Fail(bad);
        var program = ExtractProgram(response);
        if (program is null) return VerifyResult.Fail(VerifyReasons.NoProgram);
        if (program.Length > MaxProgramChars) return VerifyResult.Fail(VerifyReasons.AnswerTooLong);
        CodeJudge codeJudge;
        try { codeJudge = Start(); }
        catch (SandboxUnavailableException e) { return VerifyResult.Fail($"{VerifyReasons.SandboxUnavailable}: {e.Message}", program); }
        var verdict = await codeJudge.JudgeAsync(program, language, tests, cancellation).ConfigureAwait(false);
        return verdict.Passed ? VerifyResult.Ok(program) : VerifyResult.Fail(verdict.Reason, program);
    }

    /// <summary>The program in a response: the last fenced block (its language tag dropped), else the text after the last '#'.</summary>
    public static string? ExtractProgram(string? response)
    {
        if (string.IsNullOrEmpty(response)) return null;
        int close = response.LastIndexOf("```", StringComparison.Ordinal);
        int open = close > 0 ? response.LastIndexOf("```", close - 1, StringComparison.Ordinal) : -1;
        if (open >= 0)
        {
            var body = response[(open + 3)..close];
            int newline = body.IndexOf('\n');
            // "```python\n...": the first line is a language tag when it is one word.
            if (newline >= 0 && !body[..newline].Trim().Contains(' ')) body = body[(newline + 1)..];
            return body.Trim('\n').Length == 0 ? null : body.Trim('\n');
        }
        int marker = response.LastIndexOf(FinalAnswer.Marker);
        if (marker < 0) return null;
        var program = response[(marker + 1)..].Trim();
        return program.Length == 0 ? null : program;
    }

    private static bool TryReadPrompt(PromptRecord prompt, out IReadOnlyList<CodeTest> tests, out string language, out string reason)
    {
        tests = [];
        language = DefaultLanguage;
        reason = "";
        if (prompt?.Extra is not { } extra || !extra.TryGetValue(TestsField, out var t) || t.ValueKind != JsonValueKind.Array)
        {
            reason = $"{VerifyReasons.BadPrompt}: field '{TestsField}' must be a JSON array of tests";
            return false;
        }
        var list = new List<CodeTest>();
        int i = 0;
        foreach (var item in t.EnumerateArray())
        {
            i++;
            try { list.Add(CodeTest.FromJson(item)); }
            catch (FormatException e)
            {
                reason = $"{VerifyReasons.BadPrompt}: {TestsField}[{i}]: {e.Message}";
                return false;
            }
        }
        if (extra.TryGetValue(LanguageField, out var l))
        {
            if (l.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(l.GetString()))
            {
                reason = $"{VerifyReasons.BadPrompt}: field '{LanguageField}' must be a file extension such as \"py\"";
                return false;
            }
            language = l.GetString()!;
        }
        tests = list;
        return true;
    }

    private static bool SameValues(SandboxSettings a, SandboxSettings b) =>
        JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    private static Lazy<CodeJudge> NewJudge(SandboxSettings settings) =>
        new(() => new CodeJudge(Sandbox.Start(settings)), LazyThreadSafetyMode.ExecutionAndPublication);
}
