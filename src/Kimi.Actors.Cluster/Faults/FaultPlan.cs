using System.Globalization;
using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// The fault rules of a node, from configuration (<c>kimi.faults</c>, see hocon/workers.conf), run time or code. Rules are pure
/// data and counting is per actor, so the same plan and the same message order give the same faults every time.
/// </summary>
public sealed record FaultPlan(IReadOnlyList<FaultRule> Rules)
{
    public const string ConfigPath = "kimi.faults";
    private static readonly string[] RuleKeys = ["target", "message", "action", "nth", "every", "delay", "incarnation"];

    public static FaultPlan None { get; } = new([]);

    public FaultPlan(params FaultRule[] rules) : this((IReadOnlyList<FaultRule>)rules) { }

    public bool IsEmpty => Rules.Count == 0;

    /// <summary>The rules for one kind of actor.</summary>
    public FaultPlan For(string target) => new(Rules.Where(r => r.Target == target).ToList());

    public static string ActionName(FaultAction action) => action switch
    {
        FaultAction.Throw => "throw",
        FaultAction.KillProcess => "kill-process",
        FaultAction.Delay => "delay",
        FaultAction.DeviceOutOfMemory => "device-oom",
        _ => "drop",
    };

    private static FaultAction ParseAction(string value, string key) => value switch
    {
        "throw" => FaultAction.Throw,
        "kill-process" => FaultAction.KillProcess,
        "delay" => FaultAction.Delay,
        "drop" => FaultAction.Drop,
        "device-oom" => FaultAction.DeviceOutOfMemory,
        _ => throw new ArgumentException($"{key} = {value}: expected throw, kill-process, delay, drop or device-oom"),
    };

    /// <summary>Reads <c>kimi.faults</c>; absent or <c>enabled = off</c> gives <see cref="None"/>. Errors name the key.</summary>
    public static FaultPlan FromConfig(Config config)
    {
        if (!config.HasPath(ConfigPath) || !config.GetBoolean(ConfigPath + ".enabled", false)) return None;
        var rulesPath = ConfigPath + ".rules";
        if (!config.HasPath(rulesPath)) return None;
        var value = config.GetValue(rulesPath);
        // The shipped `rules = []`: Akka's HOCON does not call an empty list an array, but reads it as an empty string list.
        if (!value.IsArray() && IsEmptyList(config, rulesPath)) return None;
        if (!value.IsArray()) throw new ArgumentException($"{rulesPath}: expected a list of rules, e.g. [{{ message = GenerateBatch, action = throw, nth = 3 }}]");
        var elements = value.GetArray();
        return new FaultPlan(elements.Select((e, i) => Rule(e, $"{rulesPath}[{i}]")).ToList());
    }

    private static bool IsEmptyList(Config config, string path)
    {
        try { return config.GetStringList(path) is { Count: 0 }; }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; }
    }

    /// <summary>
    /// One rule written as a HOCON object (<c>{ target = run, message = TrajectoriesJudged, action = throw, nth = 2 }</c>),
    /// e.g. injected at run time; <paramref name="where"/> names it in errors.
    /// </summary>
    public static FaultRule ParseRule(string hocon, string where = "fault rule")
    {
        HoconValue value;
        try { value = ConfigurationFactory.ParseString($"rule = {hocon}").GetValue("rule"); }
        catch (Exception e) when (e is not ArgumentException) { throw new ArgumentException($"{where}: cannot parse '{hocon}': {e.Message}", e); }
        return Rule(value, where);
    }

    private static FaultRule Rule(HoconValue element, string key)
    {
        if (!element.IsObject()) throw new ArgumentException($"{key}: expected an object {{ message = ..., action = ... }}");
        var unknown = element.GetObject().Items.Keys.FirstOrDefault(k => !RuleKeys.Contains(k));
        if (unknown is not null) throw new ArgumentException($"{key}.{unknown}: unknown key (rule keys: {string.Join(", ", RuleKeys)})");
        var rule = new Config(new HoconRoot(element));
        int Int(string name)
        {
            var text = rule.GetString(name, "0");
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
                ? n : throw new ArgumentException($"{key}.{name} = {text}: expected an integer >= 0");
        }
        try
        {
            return new FaultRule(
                Message: rule.GetString("message", ""),
                Action: ParseAction(rule.GetString("action", ""), key + ".action"),
                Nth: Int("nth"),
                Every: Int("every"),
                Delay: rule.HasPath("delay") ? rule.GetTimeSpan("delay") : TimeSpan.Zero,
                Incarnation: Int("incarnation"),
                Target: rule.GetString("target", FaultTargets.GpuWorker)).Validate();
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(key)) { throw new ArgumentException($"{key}: {e.Message}", e); }
    }

    /// <summary>These rules, then <paramref name="more"/>.</summary>
    public FaultPlan With(FaultPlan more) => more.IsEmpty ? this : new FaultPlan([.. Rules, .. more.Rules]);

    /// <summary>The plan as a <c>kimi.faults</c> HOCON section, e.g. for a worker process's configuration file.</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        sb.Append("kimi.faults {\n  enabled = ").Append(IsEmpty ? "off" : "on").Append("\n  rules = [\n");
        foreach (var r in Rules) sb.Append("    ").Append(r.ToHocon()).Append('\n');
        return sb.Append("  ]\n}\n").ToString();
    }
}
