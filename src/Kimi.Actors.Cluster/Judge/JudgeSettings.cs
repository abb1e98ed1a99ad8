using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Rl.Judging.ModelJudges;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>The <c>kimi.judges</c> section (hocon/judges.conf documents every key): node concurrency, timeout, math and sandbox settings, model judges by domain.</summary>
public sealed record JudgeSettings(int Concurrency, TimeSpan Timeout, MathVerifierOptions Math, SandboxSettings Sandbox)
{
    /// <summary>Model judges by the domain whose prompts they judge (<c>kimi.judges.models</c>).</summary>
    public IReadOnlyDictionary<string, ModelJudgeSettings> Models { get; init; } = new Dictionary<string, ModelJudgeSettings>();

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
    /// This node's verifiers for the domains these settings configure (math, code, and each domain with a model judge,
    /// which replaces its rule verifier); the other domains use <see cref="Verifiers.ForDomain"/>. The code verifier's
    /// sandbox starts on its first program; model judges are loaded now (once per process), so a node whose judge
    /// checkpoint cannot be read refuses to start.
    /// </summary>
    /// <exception cref="ArgumentException">A model judge cannot be loaded; the message names its key.</exception>
    public IReadOnlyDictionary<string, IVerifier> CreateVerifiers()
    {
        var verifiers = new Dictionary<string, IVerifier>
        {
            [Verifiers.Math] = new MathAnswerVerifier(Math),
            [Verifiers.Code] = new CodeVerifier(Sandbox),
        };
        foreach (var (domain, model) in Models) verifiers[domain] = model.Load();
        return verifiers;
    }

    /// <summary>Loads the model judges now (they are kept for the process), so a folder that cannot be read stops a command or node before it starts.</summary>
    /// <exception cref="ArgumentException">A model judge cannot be loaded; the message names its key.</exception>
    public void LoadModels()
    {
        foreach (var model in Models.Values) model.Load();
    }

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
        return new JudgeSettings(Int("concurrency", 1, 4096), Duration("timeout"), new MathVerifierOptions(extraction, Bool("math.strip-units")), sandbox)
        {
            Models = ReadModels(c),
        };
    }

    private static readonly string[] ModelKeys = ["kind", "checkpoint", "device"];

    /// <summary><c>kimi.judges.models { DOMAIN { kind, checkpoint, device } }</c>.</summary>
    private static Dictionary<string, ModelJudgeSettings> ReadModels(Config c)
    {
        var models = new Dictionary<string, ModelJudgeSettings>(StringComparer.Ordinal);
        string section = $"{ConfigPath}.models";
        if (!c.HasPath(section)) return models;
        var value = c.GetValue(section);
        if (!value.IsObject()) throw new ArgumentException($"{section} = {value.GetString()}: expected an object of model judges by domain, e.g. models {{ arithmetic {{ kind = model-cot, checkpoint = DIR }} }}");
        foreach (var domain in value.GetObject().Items.Keys)
        {
            string key = $"{section}.{domain}";
            if (!Verifiers.KnownDomains.Contains(domain))
                throw new ArgumentException($"{key}: unknown domain '{domain}' (domains: {string.Join(", ", Verifiers.KnownDomains)})");
            if (!c.GetValue(key).IsObject()) throw new ArgumentException($"{key}: expected {{ kind = {string.Join(" | ", ModelJudgeKinds.Names)}, checkpoint = DIR }}");
            var unknown = c.GetValue(key).GetObject().Items.Keys.FirstOrDefault(k => !ModelKeys.Contains(k));
            if (unknown is not null) throw new ArgumentException($"{key}.{unknown}: unknown key (known: {string.Join(", ", ModelKeys)})");
            string Field(string name, string? fallback = null) => c.HasPath($"{key}.{name}") ? c.GetString($"{key}.{name}") ?? "" : fallback
                ?? throw new ArgumentException($"{key}.{name}: missing");
            ModelJudgeKind kind;
            try { kind = ModelJudgeKinds.Parse(Field("kind")); }
            catch (ArgumentException) { throw new ArgumentException($"{key}.kind = {Field("kind")}: expected {string.Join(" or ", ModelJudgeKinds.Names)}"); }
            string checkpoint = Field("checkpoint");
            if (checkpoint.Trim().Length == 0) throw new ArgumentException($"{key}.checkpoint: expected the judge's folder (kimi judge train --out DIR)");
            string device = Field("device", "cpu");
            if (!Workers.DevicePool.IsDeviceName(device)) throw new ArgumentException($"{key}.device = {device}: expected cpu, cuda or cuda:N");
            models[domain] = new ModelJudgeSettings(domain, kind, checkpoint, device);
        }
        return models;
    }
}
