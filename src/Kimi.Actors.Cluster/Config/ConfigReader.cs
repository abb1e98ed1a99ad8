using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Typed, validating reads from a HOCON tree. Every failure names the full key, the value and what is
/// allowed; keys present in the tree but never read are reported as unknown (typos stop start-up).
/// </summary>
public sealed class ConfigReader(Config config, string root)
{
    private readonly HashSet<string> _read = [];
    private readonly Dictionary<string, string> _allowed = [];

    public Config Config => config;

    /// <summary>
    /// What each key read so far accepts, by full key (<c>a number &gt; 0</c>, <c>an integer in [1, 4096]</c>, <c>one of
    /// a, b</c>): the same rule the read applied, so a rejected change can say what is allowed.
    /// </summary>
    public IReadOnlyDictionary<string, string> Allowed => _allowed;

    /// <summary>States what <paramref name="key"/> accepts where a rule spans keys (the reader's own text is replaced).</summary>
    public void Allow(string key, string allowed) => _allowed[Path(key)] = allowed;

    public string Path(string key) => $"{root}.{key}";

    private string Raw(string key)
    {
        var path = Path(key);
        _read.Add(path);
        if (!config.HasPath(path)) throw new ConfigException($"{path}: missing (every key has a default in hocon/kimi.conf; was it removed?)");
        var value = config.GetValue(path);
        if (value.IsObject()) throw new ConfigException($"{path}: expected a value, got an object");
        if (value.IsArray()) throw new ConfigException($"{path}: expected a single value, got a list");
        return value.GetString() ?? "";
    }

    public bool Has(string key) => config.HasPath(Path(key));

    public string String(string key, bool allowEmpty = true)
    {
        _allowed[Path(key)] = allowEmpty ? "a string" : "a non-empty string";
        var v = Raw(key);
        if (!allowEmpty && string.IsNullOrWhiteSpace(v)) throw new ConfigException($"{Path(key)} = \"\": expected a non-empty string");
        return v;
    }

    public int Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        _allowed[Path(key)] = "an integer" + Range(min, max);
        var v = Raw(key);
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x))
            throw new ConfigException($"{Path(key)} = {v}: expected an integer{Range(min, max)}");
        if (x < min || x > max) throw new ConfigException($"{Path(key)} = {v}: out of range, expected an integer{Range(min, max)}");
        return x;
    }

    public long Long(string key, long min = long.MinValue)
    {
        _allowed[Path(key)] = $"an integer >= {min}";
        var v = Raw(key);
        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long x) || x < min)
            throw new ConfigException($"{Path(key)} = {v}: expected an integer >= {min}");
        return x;
    }

    public double Double(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false)
    {
        _allowed[Path(key)] = "a number" + Range(min, max, exclusiveMin);
        var v = Raw(key);
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw new ConfigException($"{Path(key)} = {v}: expected a number{Range(min, max, exclusiveMin)}");
        if ((exclusiveMin ? x <= min : x < min) || x > max)
            throw new ConfigException($"{Path(key)} = {v}: out of range, expected a number{Range(min, max, exclusiveMin)}");
        return x;
    }

    public bool Bool(string key)
    {
        _allowed[Path(key)] = "true or false";
        var v = Raw(key);
        return v.ToLowerInvariant() switch
        {
            "true" or "on" or "yes" => true,
            "false" or "off" or "no" => false,
            _ => throw new ConfigException($"{Path(key)} = {v}: expected true or false"),
        };
    }

    public T Choice<T>(string key, Func<string, T> parse, IEnumerable<string> allowed)
    {
        _allowed[Path(key)] = "one of " + string.Join(", ", allowed);
        var v = Raw(key);
        try { return parse(v); }
        catch (ArgumentException) { throw new ConfigException($"{Path(key)} = {v}: expected one of {string.Join(", ", allowed)}"); }
    }

    public IReadOnlyList<string> StringList(string key, bool allowEmpty = false)
    {
        var path = Path(key);
        _read.Add(path);
        if (!config.HasPath(path)) throw new ConfigException($"{path}: missing");
        var value = config.GetValue(path);
        if (!value.IsArray()) throw new ConfigException($"{path} = {value.GetString()}: expected a list, e.g. [a, b]");
        var list = value.GetStringList();
        if (!allowEmpty && list.Count == 0) throw new ConfigException($"{path} = []: expected at least one entry");
        return list.ToList();
    }

    /// <summary>The keys (relative) directly under an object, for maps such as curriculum levels.</summary>
    public IReadOnlyList<string> Keys(string key)
    {
        var path = Path(key);
        _read.Add(path);
        if (!config.HasPath(path)) return [];
        var value = config.GetValue(path);
        if (!value.IsObject()) throw new ConfigException($"{path}: expected an object, e.g. {{ \"2\" = 5 }}");
        var keys = value.GetObject().Items.Keys.ToList();
        foreach (var k in keys) _read.Add($"{path}.{k}");
        return keys;
    }

    /// <summary>
    /// Fails on the first key under the root that no reader asked for, except under <paramref name="ownedElsewhere"/>
    /// (sections other binders read, relative to the root).
    /// </summary>
    public void RejectUnknownKeys(params string[] ownedElsewhere)
    {
        if (!config.HasPath(root)) return;
        var skip = ownedElsewhere.Select(s => $"{root}.{s}").ToArray();
        foreach (var path in Leaves(config.GetValue(root).GetObject(), root))
            if (!_read.Contains(path) && !_read.Any(r => path.StartsWith(r + ".")) && !skip.Any(s => path == s || path.StartsWith(s + ".")))
            {
                var known = Nearest(path, _read.Where(r => r.Count(c => c == '.') == path.Count(c => c == '.')));
                throw new ConfigException($"{path}: unknown key" + (known is null ? "" : $" (did you mean {known}?)"));
            }
    }

    /// <summary>
    /// Fails on the first key under <paramref name="sections"/> (relative to the root) that <paramref name="known"/> does
    /// not define, naming the nearest key it does; keys under <paramref name="open"/> (objects that take any keys, such as
    /// a dispatcher's settings) pass. For sections read by settings classes that take what they know and ignore the rest,
    /// with <paramref name="known"/> the shipped defaults, where every key is listed.
    /// </summary>
    public void RejectKeysNotIn(Config known, IEnumerable<string> sections, params string[] open)
    {
        var openPaths = open.Select(o => $"{root}.{o}.").ToArray();
        foreach (var section in sections.Select(Path).Where(config.HasPath))
        {
            var value = config.GetValue(section);
            if (!value.IsObject()) throw new ConfigException($"{section}: expected an object of settings");
            foreach (var path in Leaves(value.GetObject(), section))
            {
                if (known.HasPath(path) || openPaths.Any(path.StartsWith)) continue;
                var nearest = known.HasPath(section) ? Nearest(path, Leaves(known.GetValue(section).GetObject(), section)) : null;
                throw new ConfigException($"{path}: unknown key" + (nearest is null ? "" : $" (did you mean {nearest}?)"));
            }
        }
    }

    private static IEnumerable<string> Leaves(HoconObject obj, string prefix)
    {
        foreach (var (k, v) in obj.Items)
        {
            var path = $"{prefix}.{k}";
            if (v.IsObject()) foreach (var p in Leaves(v.GetObject(), path)) yield return p;
            else yield return path;
        }
    }

    private static string Range(double min, double max, bool exclusiveMin = false)
    {
        bool lo = !double.IsNegativeInfinity(min) && min > int.MinValue, hi = !double.IsPositiveInfinity(max) && max < int.MaxValue;
        string op = exclusiveMin ? ">" : ">=";
        return (lo, hi) switch
        {
            (true, true) => $" in {(exclusiveMin ? "(" : "[")}{Fmt(min)}, {Fmt(max)}]",
            (true, false) => $" {op} {Fmt(min)}",
            (false, true) => $" <= {Fmt(max)}",
            _ => "",
        };
    }

    private static string Fmt(double x) => x.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The candidate closest to <paramref name="word"/> by edit distance (the first of equals), or null when there is none
    /// within <paramref name="maxDistance"/>: what "did you mean" suggests for a mistyped key, option or command.
    /// </summary>
    public static string? Nearest(string word, IEnumerable<string> candidates, int maxDistance = int.MaxValue) => candidates
        .Select(c => (Candidate: c, Distance: Distance(c, word)))
        .Where(c => c.Distance <= maxDistance)
        .OrderBy(c => c.Distance)
        .Select(c => c.Candidate)
        .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
