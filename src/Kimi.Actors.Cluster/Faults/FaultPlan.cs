using System.Globalization;
using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Kimi.Actors.Cluster.Faults;

/// <summary>
/// The fault rules of a run, from configuration (<c>kimi.faults</c>, see hocon/workers.conf) or code. Rules are pure
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
        _ => "drop",
    };

    private static FaultAction ParseAction(string value, string key) => value switch
    {
        "throw" => FaultAction.Throw,
        "kill-process" => FaultAction.KillProcess,
        "delay" => FaultAction.Delay,
        "drop" => FaultAction.Drop,
        _ => throw new ArgumentException($"{key} = {value}: expected throw, kill-process, delay or drop"),
    };

    /// <summary>Reads <c>kimi.faults</c>; absent or <c>enabled = off</c> gives <see cref="None"/>. Errors name the key.</summary>
    public static FaultPlan FromConfig(Config config)
    {
        if (!config.HasPath(ConfigPath) || !config.GetBoolean(ConfigPath + ".enabled", false)) return None;
        var rulesPath = ConfigPath + ".rules";
        if (!config.HasPath(rulesPath)) return None;
        var value = config.GetValue(rulesPath);
        if (!value.IsArray()) throw new ArgumentException($"{rulesPath}: expected a list of rules, e.g. [{{ message = GenerateBatch, action = throw, nth = 3 }}]");
        var rules = new List<FaultRule>();
        var elements = value.GetArray();
        for (int i = 0; i < elements.Count; i++)
        {
            var key = $"{rulesPath}[{i}]";
            if (!elements[i].IsObject()) throw new ArgumentException($"{key}: expected an object {{ message = ..., action = ... }}");
            var unknown = elements[i].GetObject().Items.Keys.FirstOrDefault(k => !RuleKeys.Contains(k));
            if (unknown is not null) throw new ArgumentException($"{key}.{unknown}: unknown key (rule keys: {string.Join(", ", RuleKeys)})");
            var rule = new Config(new HoconRoot(elements[i]));
            int Int(string name)
            {
                var text = rule.GetString(name, "0");
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
                    ? n : throw new ArgumentException($"{key}.{name} = {text}: expected an integer >= 0");
            }
            try
            {
                rules.Add(new FaultRule(
                    Message: rule.GetString("message", ""),
                    Action: ParseAction(rule.GetString("action", ""), key + ".action"),
                    Nth: Int("nth"),
                    Every: Int("every"),
                    Delay: rule.HasPath("delay") ? rule.GetTimeSpan("delay") : TimeSpan.Zero,
                    Incarnation: Int("incarnation"),
                    Target: rule.GetString("target", FaultTargets.GpuWorker)).Validate());
            }
            catch (ArgumentException e) when (!e.Message.StartsWith(key)) { throw new ArgumentException($"{key}: {e.Message}", e); }
        }
        return new FaultPlan(rules);
    }

    /// <summary>The plan as a <c>kimi.faults</c> HOCON section, e.g. for a worker process's configuration file.</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        sb.Append("kimi.faults {\n  enabled = ").Append(IsEmpty ? "off" : "on").Append("\n  rules = [\n");
        foreach (var r in Rules)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"    {{ target = \"{r.Target}\", message = \"{r.Message}\", action = {ActionName(r.Action)}, nth = {r.Nth}, every = {r.Every}, incarnation = {r.Incarnation}");
            if (r.Action == FaultAction.Delay) sb.Append(CultureInfo.InvariantCulture, $", delay = {(long)r.Delay.TotalMilliseconds}ms");
            sb.Append(" }\n");
        }
        return sb.Append("  ]\n}\n").ToString();
    }
}
