using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>The <c>kimi.judges</c> section (hocon/judges.conf documents every key): node concurrency, timeout, math and sandbox settings.</summary>
public sealed record JudgeSettings(int Concurrency, TimeSpan Timeout, MathVerifierOptions Math, SandboxSettings Sandbox)
{
    public const string ConfigPath = "kimi.judges";

    /// <summary>hocon/judges.conf as embedded in this assembly: the fallback for every key.</summary>
    public static Config Defaults { get; } = ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/judges.conf"));

    public static JudgeSettings Default { get; } = FromConfig(ConfigurationFactory.Empty);

    /// <summary>
    /// Makes this process judge with these settings: the math domain's extraction and units, the code domain's
    /// sandbox. With <paramref name="startSandbox"/> the sandbox starts now, so a node that will judge code and
    /// cannot refuses to start (<see cref="SandboxUnavailableException"/> says what is missing).
    /// </summary>
    public void Apply(bool startSandbox)
    {
        Verifiers.Configure(Verifiers.Math, Math == MathAnswerVerifier.Instance.Options ? MathAnswerVerifier.Instance : new MathAnswerVerifier(Math));
        CodeVerifier.Shared.Configure(Sandbox);
        if (startSandbox) CodeVerifier.Shared.Start();
    }

    /// <summary>
    /// This node's verifiers for the domains these settings configure (math, code); the other domains use
    /// <see cref="Verifiers.ForDomain"/>. The code verifier's sandbox starts on its first program.
    /// </summary>
    public IReadOnlyDictionary<string, IVerifier> CreateVerifiers() => new Dictionary<string, IVerifier>
    {
        [Verifiers.Math] = new MathAnswerVerifier(Math),
        [Verifiers.Code] = new CodeVerifier(Sandbox),
    };

    /// <summary>Reads <c>kimi.judges</c>, falling back to <see cref="Defaults"/>; a bad value throws <see cref="ArgumentException"/> naming the key.</summary>
    public static JudgeSettings FromConfig(Config config)
    {
        var c = config.WithFallback(Defaults);
        string Key(string k) => $"{ConfigPath}.{k}";
        string Text(string k) => c.GetString(Key(k)) ?? "";
        TimeSpan Duration(string k)
        {
            TimeSpan v;
            try { v = c.GetTimeSpan(Key(k)); }
            catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException)
            {
                throw new ArgumentException($"{Key(k)} = {Text(k)}: expected a duration, e.g. 500ms or 4s", e);
            }
            return v > TimeSpan.Zero ? v : throw new ArgumentException($"{Key(k)} = {Text(k)}: expected a positive duration");
        }
        int Int(string k, int min, int max = int.MaxValue) =>
            int.TryParse(Text(k), out int v) && v >= min && v <= max ? v : throw new ArgumentException($"{Key(k)} = {Text(k)}: expected an integer in [{min}, {max}]");
        long Bytes(string k, long min)
        {
            long? v;
            try { v = c.GetByteSize(Key(k)); }
            catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException) { v = null; }
            return v is { } b && b >= min ? b : throw new ArgumentException($"{Key(k)} = {Text(k)}: expected a size of at least {min} bytes, e.g. 256MiB");
        }
        bool Bool(string k) => Text(k) switch
        {
            "true" or "on" or "yes" => true,
            "false" or "off" or "no" => false,
            var v => throw new ArgumentException($"{Key(k)} = {v}: expected true or false"),
        };
        IReadOnlyList<string> List(string k, bool allowEmpty)
        {
            if (!c.HasPath(Key(k))) return [];
            var value = c.GetValue(Key(k));
            if (!value.IsArray()) throw new ArgumentException($"{Key(k)} = {value.GetString()}: expected a list, e.g. [a, b]");
            var list = value.GetStringList().ToList();
            return list.Count > 0 || allowEmpty ? list : throw new ArgumentException($"{Key(k)} = []: expected at least one entry");
        }

        AnswerExtraction extraction;
        try { extraction = AnswerExtractions.Parse(Text("math.extraction")); }
        catch (ArgumentException) { throw new ArgumentException($"{Key("math.extraction")} = {Text("math.extraction")}: expected one of {string.Join(", ", AnswerExtractions.Names)}"); }

        var limits = new SandboxLimits(
            Duration("sandbox.wall-time"), Int("sandbox.cpu-seconds", 1, 3600), Bytes("sandbox.memory", 16L << 20), Int("sandbox.processes", 3, 1 << 20),
            Bytes("sandbox.output", 1), Bytes("sandbox.file-size", 1), Bytes("sandbox.work-size", 4096), Int("sandbox.open-files", 8, 1 << 20));

        var languages = new Dictionary<string, LanguageSpec>(StringComparer.Ordinal);
        var languagesKey = "sandbox.languages";
        if (!c.HasPath(Key(languagesKey)) || !c.GetValue(Key(languagesKey)).IsObject())
            throw new ArgumentException($"{Key(languagesKey)}: expected an object of languages by extension");
        foreach (var ext in c.GetValue(Key(languagesKey)).GetObject().Items.Keys)
        {
            string l = $"{languagesKey}.{ext}";
            if (ext.Length == 0 || !ext.All(char.IsAsciiLetterOrDigit)) throw new ArgumentException($"{Key(l)}: an extension is letters and digits, e.g. py");
            var known = new HashSet<string> { "run", "compile", "harness", "call-run", "env", "memory-error-patterns", "process-error-patterns" };
            var unknown = c.GetValue(Key(l)).GetObject().Items.Keys.FirstOrDefault(k => !known.Contains(k));
            if (unknown is not null) throw new ArgumentException($"{Key(l)}.{unknown}: unknown key (known: {string.Join(", ", known)})");
            string? harness = c.HasPath(Key($"{l}.harness")) ? Text($"{l}.harness") : null;
            if (harness is not null && harness != SandboxSettings.PythonHarness)
                throw new ArgumentException($"{Key($"{l}.harness")} = {harness}: expected {SandboxSettings.PythonHarness} (the built-in function-call harness)");
            var callRun = List($"{l}.call-run", allowEmpty: true);
            if ((harness is null) != (callRun.Count == 0)) throw new ArgumentException($"{Key(l)}: harness and call-run go together");
            var env = c.HasPath(Key($"{l}.env"))
                ? c.GetValue(Key($"{l}.env")).GetObject().Items.ToDictionary(kv => kv.Key, kv => kv.Value.GetString() ?? "")
                : new Dictionary<string, string>();
            var compile = List($"{l}.compile", allowEmpty: true);
            languages[ext] = new LanguageSpec(ext, List($"{l}.run", allowEmpty: false), compile.Count > 0 ? compile : null, harness,
                callRun.Count > 0 ? callRun : null, env, List($"{l}.memory-error-patterns", true), List($"{l}.process-error-patterns", true));
        }
        if (languages.Count == 0) throw new ArgumentException($"{Key(languagesKey)}: expected at least one language");

        var sandbox = new SandboxSettings(Text("sandbox.bwrap"), Text("sandbox.prlimit"), List("sandbox.read-only-paths", allowEmpty: false),
            Int("sandbox.sandbox-uid", 1, int.MaxValue), limits, languages, Duration("sandbox.compile-wall-time"));
        try { limits.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{ConfigPath}.sandbox: {e.Message}"); }
        return new JudgeSettings(Int("concurrency", 1, 4096), Duration("timeout"), new MathVerifierOptions(extraction, Bool("math.strip-units")), sandbox);
    }
}
